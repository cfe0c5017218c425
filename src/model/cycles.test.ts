import { describe, expect, it } from 'vitest';
import { normalizeCycle } from './cycles.js';

describe('normalizeCycle', () => {
  it.each([
    [undefined, 1000, false],
    [0, 1000, false],
    [250, 250, false],
    [10000, 10000, false],
    [999_999, 999_999, false],
    [1_500_000, 1_500_000, false],
    [1_000_000, 1, true],
    [1_000_000_000, 1000, true],
    [30_000_000_000, 30_000, true],
  ])('%s -> %s ms (converted: %s)', (input, ms, converted) => {
    expect(normalizeCycle(input)).toEqual({ ms, convertedFromNs: converted });
  });
});
