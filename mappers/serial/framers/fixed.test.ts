import { describe, expect, it } from 'vitest';
import { FixedLengthFramer } from './fixed.js';

describe('FixedLengthFramer', () => {
  it('cuts every N bytes across chunk boundaries, bytes kept as latin1', () => {
    const f = new FixedLengthFramer(4);
    expect(f.push(Buffer.from([0x41, 0x42])).frames).toEqual([]);
    const out = f.push(Buffer.from([0x43, 0xff, 0x31, 0x32, 0x33, 0x34, 0x35]));
    expect(out.frames.map((x) => x.text)).toEqual(['ABC\xff', '1234']);
    f.reset();
    expect(f.push(Buffer.from('wxyz')).frames.map((x) => x.text)).toEqual(['wxyz']);
  });

  it('refuses a length that is not a positive integer', () => {
    expect(() => new FixedLengthFramer(0)).toThrow(/positive integer/);
  });
});
