import { KeyedChain } from '../../src/core/async/index.js';

/**
 * Desired-value writes: one at a time per device (a device must not see two writes racing, and a
 * write's read-back must not interleave with the next write), and a desired value that is already
 * queued or being written is not queued again. The twin re-sends its delta until the reported
 * value matches, so without this a slow device would get the same write many times over.
 */
export class WriteQueue {
  private readonly chain = new KeyedChain();
  private readonly pending = new Set<string>();

  /** Queues `run`; returns false (and does nothing) when the same value is already pending. */
  submit(deviceId: string, property: string, desired: string, run: () => Promise<void>): boolean {
    return this.submitAll(deviceId, [{ property, desired }], run).length > 0;
  }

  /**
   * Queues one job for several values of one device (the driver may write them together); values
   * already pending are left out. Returns the values queued (passed to `run`); none -> nothing queued.
   */
  submitAll<T extends { property: string; desired: string }>(
    deviceId: string,
    values: readonly T[],
    run: (fresh: T[]) => Promise<void>,
  ): T[] {
    const fresh = values.filter((v) => !this.pending.has(keyOf(deviceId, v)));
    if (fresh.length === 0) return fresh;
    const keys = fresh.map((v) => keyOf(deviceId, v));
    for (const key of keys) this.pending.add(key);
    void this.chain
      .run(deviceId, () => run(fresh))
      .catch(() => undefined) // `run` reports its own failures; the chain goes on regardless
      .finally(() => {
        for (const key of keys) this.pending.delete(key);
      });
    return fresh;
  }

  /** Resolves when every queued write has finished (for stop()). */
  drain(): Promise<void> {
    return this.chain.idle();
  }

  get size(): number {
    return this.pending.size;
  }
}

function keyOf(deviceId: string, v: { property: string; desired: string }): string {
  return `${deviceId}\u0000${v.property}\u0000${v.desired}`;
}
