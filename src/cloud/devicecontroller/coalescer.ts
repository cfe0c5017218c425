import type { Clock, Timer } from '../../core/clock/index.js';

/**
 * At most one write per key per interval, whatever the rate of changes: the first change after
 * a quiet interval is written at once (next tick), later ones are merged into one trailing write.
 * A failed write is retried one interval later. This is what keeps status writes bounded
 * (KubeEdge's twin writes overloaded the API server, issues #3761, #2286).
 */
export class WriteCoalescer {
  private readonly last = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirtyWhileRunning = new Set<string>();
  private readonly urgentWhileRunning = new Set<string>();
  writes = 0;
  failures = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly write: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {}

  /**
   * Notes a change of `key`. An `urgent` one (a device going offline: people look for it) is
   * written on the next tick even inside the interval; urgent changes are rare by nature, so the
   * bound on writes still holds for everything else.
   */
  mark(key: string, urgent = false): void {
    if (this.running.has(key)) {
      this.dirtyWhileRunning.add(key);
      if (urgent) this.urgentWhileRunning.add(key);
      return;
    }
    const pending = this.timers.get(key);
    if (pending && !urgent) return;
    if (pending) this.clock.clearTimeout(pending);
    const last = this.last.get(key);
    const delay = urgent || last === undefined ? 0 : Math.max(0, last + this.intervalMs - this.clock.now());
    this.timers.set(
      key,
      this.clock.setTimeout(() => this.fire(key), delay),
    );
  }

  /** Writes every pending key now (on stop). */
  async flush(): Promise<void> {
    const keys = [...this.timers.keys()];
    for (const key of keys) {
      this.clock.clearTimeout(this.timers.get(key)!);
      this.timers.delete(key);
    }
    await Promise.all([...this.running.values()]);
    await Promise.all(keys.map((k) => this.run(k)));
  }

  cancelAll(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  get pending(): number {
    return this.timers.size;
  }

  private fire(key: string): void {
    this.timers.delete(key);
    void this.run(key);
  }

  private run(key: string): Promise<void> {
    this.last.set(key, this.clock.now());
    this.writes++;
    const p = this.write(key)
      .catch((err: unknown) => {
        this.failures++;
        this.onError(key, err);
        this.dirtyWhileRunning.add(key);
      })
      .finally(() => {
        this.running.delete(key);
        if (this.dirtyWhileRunning.delete(key)) this.mark(key, this.urgentWhileRunning.delete(key));
      });
    this.running.set(key, p);
    return p;
  }
}
