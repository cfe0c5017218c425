/**
 * Desired-value writes: one at a time per device (a device must not see two writes racing, and a
 * write's read-back must not interleave with the next write), and a desired value that is already
 * queued or being written is not queued again. The twin re-sends its delta until the reported
 * value matches, so without this a slow device would get the same write many times over.
 */
export class WriteQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();

  /** Queues `run`; returns false (and does nothing) when the same value is already pending. */
  submit(deviceId: string, property: string, desired: string, run: () => Promise<void>): boolean {
    const key = `${deviceId}\u0000${property}\u0000${desired}`;
    if (this.pending.has(key)) return false;
    this.pending.add(key);
    const previous = this.tails.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(run)
      .catch(() => undefined) // `run` reports its own failures; the chain must go on
      .finally(() => {
        this.pending.delete(key);
        if (this.tails.get(deviceId) === next) this.tails.delete(deviceId);
      });
    this.tails.set(deviceId, next);
    return true;
  }

  /** Resolves when every queued write has finished (for stop()). */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get size(): number {
    return this.pending.size;
  }
}
