import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { KeyedChain, Waiters } from './index.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedChain', () => {
  it('runs one key in order, other keys alongside, and goes on after a failure', async () => {
    const chain = new KeyedChain();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = chain.run('a', async () => {
      await gate;
      log.push('a1');
      return 1;
    });
    const a2 = chain.run('a', async () => {
      log.push('a2');
      throw new Error('a2 failed');
    });
    const a3 = chain.run('a', async () => void log.push('a3'));
    await chain.run('b', async () => void log.push('b1'));
    expect(log).toEqual(['b1']);
    release();
    expect(await a1).toBe(1);
    await expect(a2).rejects.toThrow('a2 failed');
    await a3;
    expect(log).toEqual(['b1', 'a1', 'a2', 'a3']);
    await chain.idle();
    expect(chain.size).toBe(0);
  });
});

describe('Waiters', () => {
  it('resolves when the condition holds at a wake, or when the time is up', async () => {
    const clock = new ManualClock(0);
    const waiters = new Waiters(clock);
    let confirmed = false;
    const done: string[] = [];
    void waiters.wait('d1', 1000, () => confirmed).then(() => done.push('confirmed'));
    void waiters.wait('d2', 500, () => false).then(() => done.push('timed out'));
    expect(waiters.size).toBe(2);
    waiters.wake('d1');
    await tick();
    expect(done).toEqual([]);
    confirmed = true;
    waiters.wake('d1');
    await tick();
    expect(done).toEqual(['confirmed']);
    clock.advance(500);
    await tick();
    expect(done).toEqual(['confirmed', 'timed out']);
    expect(waiters.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('resolves at once when the condition already holds, and releases every wait on stop', async () => {
    const clock = new ManualClock(0);
    const waiters = new Waiters(clock);
    await waiters.wait('d1', 1000, () => true);
    const pending = waiters.wait('d1', 60_000, () => false);
    waiters.releaseAll();
    await pending;
    expect(waiters.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
