import { describe, expect, it } from 'vitest';
import { Backoff } from './index.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, jitter within [step/2, step]', () => {
    const low = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
    const high = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 1 });
    const lows = Array.from({ length: 10 }, () => low.next());
    const highs = Array.from({ length: 10 }, () => high.next());
    expect(highs).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    expect(lows).toEqual(highs.map((h) => h / 2));
  });

  it('without jitter: the steps themselves, with any factor', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    const tripled = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3 });
    expect(Array.from({ length: 4 }, () => tripled.next())).toEqual([100, 300, 900, 1000]);
  });

  it('starts again from the initial delay after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    b.next();
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
