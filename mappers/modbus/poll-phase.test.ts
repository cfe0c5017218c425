import { describe, expect, it } from 'vitest';
import { pollPhase } from './poll-phase.js';

describe('pollPhase', () => {
  it('is a fixed offset inside the cycle', () => {
    for (const id of ['default/a', 'plant/boiler-1', '']) {
      const p = pollPhase(id, 500);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(500);
      expect(pollPhase(id, 500)).toBe(p);
    }
  });

  it('spreads a hundred devices over the whole cycle', () => {
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < 100; i++) tenths[Math.floor(pollPhase(`default/dev-${String(i).padStart(3, '0')}`, 1000) / 100)]! += 1;
    // Every tenth of the cycle gets some devices and none gets a burst of them.
    expect(Math.min(...tenths)).toBeGreaterThan(0);
    expect(Math.max(...tenths)).toBeLessThan(25);
  });
});
