import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { WriteCoalescer } from './coalescer.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('WriteCoalescer', () => {
  it('writes at most once per interval per key whatever the change rate, and always writes the last change', async () => {
    const clock = new ManualClock(0);
    const written: Array<[string, number]> = [];
    let value = 0;
    const c = new WriteCoalescer(clock, 1000, async (key) => void written.push([key, value]));
    for (let i = 1; i <= 10_000; i++) {
      value = i;
      c.mark('dev-a');
      if (i % 3 === 0) c.mark('dev-b');
      clock.advance(1); // 1,000 changes per second for 10 s
      await settle();
    }
    clock.advance(1000);
    await settle();
    const a = written.filter(([k]) => k === 'dev-a');
    expect(a.length).toBeLessThanOrEqual(11);
    expect(a.length).toBeGreaterThanOrEqual(10);
    expect(a[a.length - 1]![1]).toBe(10_000);
    expect(written.filter(([k]) => k === 'dev-b').length).toBeLessThanOrEqual(11);
    expect(clock.pending).toBe(0);
  });

  it('writes a change after a quiet period at once, and retries a failed write an interval later', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const attempts: number[] = [];
    const c = new WriteCoalescer(clock, 1000, async () => {
      attempts.push(clock.now());
      if (fail) {
        fail = false;
        throw new Error('store busy');
      }
    });
    c.mark('k');
    clock.advance(0);
    await settle();
    expect(attempts).toEqual([0]);
    clock.advance(999);
    await settle();
    expect(attempts).toEqual([0]);
    clock.advance(1);
    await settle();
    expect(attempts).toEqual([0, 1000]);
    expect(c.failures).toBe(1);
  });

  it('writes an urgent change on the next tick even inside the interval', async () => {
    const clock = new ManualClock(0);
    const writes: number[] = [];
    const c = new WriteCoalescer(clock, 30_000, async () => void writes.push(clock.now()));
    c.mark('k');
    clock.advance(0);
    await settle();
    c.mark('k'); // a twin report: waits for the interval
    clock.advance(5000);
    await settle();
    expect(writes).toEqual([0]);
    c.mark('k', true); // the device went offline
    clock.advance(0);
    await settle();
    expect(writes).toEqual([0, 5000]);
  });
});
