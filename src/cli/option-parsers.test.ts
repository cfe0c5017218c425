import { describe, expect, it } from 'vitest';
import { integer, port, rate } from './option-parsers.js';

describe('option parsers', () => {
  it('accept what is in range and name what they expected otherwise', () => {
    expect(integer(1, 10)('7')).toBe(7);
    expect(() => integer(1, 10)('11')).toThrow('expected a whole number 1..10, got 11');
    expect(() => integer(1, 10)('2.5')).toThrow('whole number');
    expect(rate('0.25')).toBe(0.25);
    expect(() => rate('1.5')).toThrow('expected a probability 0..1, got 1.5');
    expect(() => rate('x')).toThrow('probability');
    expect(port()('0')).toBe(0);
    expect(() => port(1)('0')).toThrow('expected a port 1..65535, got 0');
    expect(() => port()('65536')).toThrow('expected a port 0..65535');
  });
});
