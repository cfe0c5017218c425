import { describe, expect, it } from 'vitest';
import { unescapeControl, visible } from './escapes.js';

describe('unescapeControl', () => {
  it('turns written escapes into control characters', () => {
    expect(unescapeControl('SEND\\r\\n')).toBe('SEND\r\n');
    expect(unescapeControl('\\x02STX\\t\\0')).toBe('\x02STX\t\0');
    expect(unescapeControl('a\\\\r')).toBe('a\\r');
  });

  it('leaves real control characters and unknown escapes alone', () => {
    expect(unescapeControl('SEND\r')).toBe('SEND\r');
    expect(unescapeControl('T=\\d+')).toBe('T=\\d+');
  });

  it('shows control characters in messages', () => {
    expect(visible('SEND\r')).toBe('"SEND\\r"');
  });
});
