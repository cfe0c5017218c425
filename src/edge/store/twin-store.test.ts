import { describe, expect, it } from 'vitest';
import { packJournal } from './twin-store.js';

describe('packJournal', () => {
  it('writes exactly what JSON.stringify of the packed arrays writes', () => {
    const qualities = ['good', 'bad', 'uncertain'] as const;
    const odd = [
      '',
      'a"b',
      'back\\slash',
      'ü€😀',
      'line\nbreak',
      '\u0000',
      '{"x":1}',
      '__proto__x',
      '12',
      '-1.5e+21',
      'true',
      'on air',
      '\ud800',
      'tab\t',
    ];
    const keys = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const reported: Record<
        string,
        { value: string; quality: (typeof qualities)[number]; ts: number; version: number; reason?: string }
      > = {};
      for (let j = 0; j < i % 7; j++) {
        const quality = qualities[(i + j) % 3]!;
        reported[`${odd[(i + j) % odd.length]}${j}`] = {
          value: odd[(i * 3 + j) % odd.length]!,
          quality,
          ts: 1_764_000_000_000 + i * 17 + j,
          version: i * j,
          ...(quality !== 'good' && j % 2 === 0 ? { reason: `spike ${odd[(i + 5 * j) % odd.length]}` } : {}),
        };
      }
      const packed = Object.fromEntries(
        Object.entries(reported).map(([p, r]) => [
          p,
          r.reason === undefined
            ? [r.value, r.quality, r.ts, r.version]
            : [r.value, r.quality, r.ts, r.version, r.reason],
        ]),
      );
      const records = new Map(
        Object.entries(reported).map(([p, r]) => [p, { cloudVersion: 0, edgeVersion: 0, reported: r }]),
      );
      const want = Object.keys(packed).length === 0 ? '' : JSON.stringify(packed);
      expect(packJournal(Object.keys(reported), records)).toBe(want);
      expect(packJournal(Object.keys(reported), records, keys)).toBe(want);
    }
    expect(keys.size).toBeGreaterThan(10);
    // A property without a reported value is left out.
    expect(
      packJournal(
        ['a', 'b'],
        new Map([
          ['a', { cloudVersion: 1, edgeVersion: 0 }],
          [
            'b',
            { cloudVersion: 0, edgeVersion: 0, reported: { value: '1', quality: 'good' as const, ts: 2, version: 3 } },
          ],
        ]),
      ),
    ).toBe('{"b":["1","good",2,3]}');
  });
});
