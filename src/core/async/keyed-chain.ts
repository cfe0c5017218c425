/**
 * Runs tasks one after another per key and concurrently across keys: messages of one device are
 * handled in the order they arrived, writes of one node never race, and a slow key does not hold
 * up the others. A failed task does not stop its key's chain; its caller sees the failure.
 */
export class KeyedChain {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued for `key` before it; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when everything queued so far, and whatever it queued, has run (for stop()). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.tails.size;
  }

  has(key: string): boolean {
    return this.tails.has(key);
  }
}
