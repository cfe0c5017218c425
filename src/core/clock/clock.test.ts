import { describe, expect, it } from 'vitest';
import { ManualClock } from './index.js';

describe('ManualClock', () => {
  it('fires timeouts and intervals in time order as it advances', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`t50@${clock.now()}`), 50);
    const iv = clock.setInterval(() => fired.push(`i30@${clock.now()}`), 30);
    clock.advance(100);
    expect(fired).toEqual(['i30@1030', 't50@1050', 'i30@1060', 'i30@1090']);
    clock.clearInterval(iv);
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(1100);
  });

  it('does not fire a cleared timeout', () => {
    const clock = new ManualClock();
    let fired = false;
    const t = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(t);
    clock.advance(20);
    expect(fired).toBe(false);
  });
});
