import type { Clock, Timer } from '../clock/index.js';

/**
 * Callers waiting, per key, until a condition holds or their time is up: an API request with
 * `?wait=` waits for a device to confirm a desired value. Whoever changes what the condition reads
 * calls `wake(key)`; each waiter checks its own condition then. A wait always resolves (the caller
 * looks at the state it waited for), never rejects.
 */
interface Waiter {
  check(): void;
  finish(): void;
}

export class Waiters {
  private readonly byKey = new Map<string, Set<Waiter>>();

  constructor(private readonly clock: Clock) {}

  /** Resolves once `done()` holds (checked now and at every wake of `key`), or after `ms`. */
  wait(key: string, ms: number, done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.byKey.get(key) ?? new Set<Waiter>();
      this.byKey.set(key, set);
      let timer: Timer | undefined;
      const waiter: Waiter = {
        finish: () => {
          if (timer !== undefined) this.clock.clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0 && this.byKey.get(key) === set) this.byKey.delete(key);
          resolve();
        },
        check: () => {
          if (done()) waiter.finish();
        },
      };
      set.add(waiter);
      timer = this.clock.setTimeout(waiter.finish, ms);
    });
  }

  /** Lets the waiters of `key` check their condition again. */
  wake(key: string): void {
    for (const waiter of [...(this.byKey.get(key) ?? [])]) waiter.check();
  }

  /** Ends every wait now (the module stops): each resolves and its caller reads the state as it is. */
  releaseAll(): void {
    for (const waiter of [...this.byKey.values()].flatMap((set) => [...set])) waiter.finish();
  }

  /** Callers waiting now. */
  get size(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }
}
