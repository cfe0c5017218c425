import { describe, expect, it } from 'vitest';
import { WriteQueue } from './write-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WriteQueue', () => {
  it('runs writes to one device one after the other, in order', async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    const first = deferred();
    q.submit('d', 'a', '1', async () => {
      log.push('start a');
      await first.promise;
      log.push('end a');
    });
    q.submit('d', 'b', '2', async () => {
      log.push('b');
    });
    await Promise.resolve();
    expect(log).toEqual(['start a']);
    first.resolve();
    await q.drain();
    expect(log).toEqual(['start a', 'end a', 'b']);
  });

  it('does not queue the same desired value twice while it is pending, but does afterwards', async () => {
    const q = new WriteQueue();
    const gate = deferred();
    let runs = 0;
    const run = async () => {
      runs += 1;
      await gate.promise;
    };
    expect(q.submit('d', 'a', '1', run)).toBe(true);
    expect(q.submit('d', 'a', '1', run)).toBe(false);
    expect(q.submit('d', 'a', '2', run)).toBe(true);
    gate.resolve();
    await q.drain();
    expect(runs).toBe(2);
    expect(q.submit('d', 'a', '1', run)).toBe(true);
    await q.drain();
    expect(runs).toBe(3);
  });

  it('keeps going after a failed write and runs other devices independently', async () => {
    const q = new WriteQueue();
    const gate = deferred();
    const log: string[] = [];
    q.submit('d1', 'a', '1', async () => {
      await gate.promise;
      throw new Error('device said no');
    });
    q.submit('d1', 'a', '2', async () => {
      log.push('d1 second');
    });
    q.submit('d2', 'a', '1', async () => {
      log.push('d2');
    });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['d2']);
    gate.resolve();
    await q.drain();
    expect(log).toEqual(['d2', 'd1 second']);
    expect(q.size).toBe(0);
  });

  it('submitAll queues several values as one job, leaves out those already pending, and frees them all after', async () => {
    const q = new WriteQueue();
    const gate = deferred();
    const seen: string[][] = [];
    q.submit('d', 'a', '1', () => gate.promise);
    const queued = q.submitAll(
      'd',
      [
        { property: 'a', desired: '1' },
        { property: 'b', desired: '2' },
        { property: 'c', desired: '3' },
      ],
      async (fresh) => {
        seen.push(fresh.map((v) => v.property));
      },
    );
    expect(queued.map((v) => v.property)).toEqual(['b', 'c']);
    expect(q.size).toBe(3);
    expect(q.submitAll('d', [{ property: 'b', desired: '2' }], async () => undefined)).toEqual([]);
    gate.resolve();
    await q.drain();
    expect(seen).toEqual([['b', 'c']]);
    expect(q.size).toBe(0);
  });
});
