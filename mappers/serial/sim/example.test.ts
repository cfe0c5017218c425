import { describe, expect, it } from 'vitest';
import { exampleFor } from './example.js';

function roundTrip(pattern: string, group: number | string, text: string): string {
  const line = exampleFor(pattern, { group, text });
  const m = new RegExp(pattern).exec(line);
  expect(m, `${line} against /${pattern}/`).not.toBeNull();
  expect(typeof group === 'number' ? m![group] : m!.groups![group]).toBe(text);
  return line;
}

describe('exampleFor', () => {
  it('fills the chosen group and the minimum of everything else', () => {
    expect(roundTrip("T=\\s*(-?\\d+(?:\\.\\d+)?)\\s*'C", 1, '21.5')).toBe("T=21.5'C");
    expect(roundTrip('RH=\\s*(\\d+(?:\\.\\d+)?)\\s*%RH', 1, '43.0')).toBe('RH=43.0%RH');
  });

  it('handles named groups, later groups, classes, alternation and counted repeats', () => {
    expect(roundTrip('^(?<unit>kg|lb)\\s+W=(?<w>[0-9.]+)$', 'w', '12.5')).toBe('kg W=12.5');
    expect(roundTrip('ID(\\d{3}):([^,]+),OK', 2, 'on')).toBe('ID000:on,OK');
    expect(roundTrip('\\x02V(\\w+)\\x03', 1, 'true')).toBe('\x02Vtrue\x03');
  });

  it('throws on a pattern it cannot read', () => {
    expect(() => exampleFor('a)b', { group: 1, text: 'x' })).toThrow(/unexpected \)/);
  });
});
