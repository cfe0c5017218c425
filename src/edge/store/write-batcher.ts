import type { Logger } from 'pino';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { DbHandle } from './db.js';

/** Something with buffered writes; `flush` runs inside the batcher's transaction. */
export interface FlushSource {
  flush(): void;
}

export interface WriteBatcherOptions {
  /** Longest a buffered write waits for its transaction (config edge.batchMs). */
  intervalMs: number;
  /**
   * Commit once no write has come for this long (config edge.batchIdleMs): a mapper's poll cycle
   * arrives as a burst of publishes, and committing right after the burst ends serves it in one
   * transaction with the least wait. 0 turns it off (commit every `intervalMs`).
   */
  idleMs: number;
  /**
   * Fewest milliseconds between two idle-triggered commits (default 20): writes arriving a few
   * milliseconds apart for a long time must not each get a transaction (SD card wear, CPU).
   */
  minGapMs?: number;
  /**
   * Commit on the next turn once this many writes are buffered (default 20,000: a poll burst of
   * 100 devices x 50 readings notes ~10,000; the ack gate keeps senders going meanwhile).
   */
  maxPending?: number;
}

/**
 * Batches the hot-path writes (twin reported values, telemetry and twin reports into the outbox)
 * into one transaction per tick instead of one per reading: far fewer WAL frames on the SD card,
 * and a commit cost shared by thousands of readings. `durable()` is how the EventBus holds a
 * mapper's PUBACK until what it sent is committed.
 */
export class WriteBatcher {
  private readonly sources = new Set<FlushSource>();
  private pending = 0;
  private timer: Timer | undefined;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly afterCommit = new Set<() => void>();
  private running = false;
  private immediate: NodeJS.Immediate | undefined;
  /** When the oldest and the newest write of the open batch came, and when the last commit ran. */
  private firstAt = 0;
  private lastAt = 0;
  private committedAt = -Infinity;
  readonly stats = { flushes: 0, failures: 0 };

  constructor(
    private readonly handle: DbHandle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: WriteBatcherOptions,
  ) {}

  register(source: FlushSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  /** Runs `fn` after every successful commit (outside the transaction). */
  onCommit(fn: () => void): () => void {
    this.afterCommit.add(fn);
    return () => this.afterCommit.delete(fn);
  }

  start(): void {
    this.running = true;
  }

  /** Flushes what is buffered and stops scheduling. */
  stop(): void {
    this.flushNow();
    this.running = false;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Notes `n` buffered writes: schedules a flush, on the next turn when the batch is full. Never
   * flushes synchronously: a source calls this in the middle of changing its buffers, and a flush
   * run from inside that would take a half-built buffer (the pipeline lost a device's readings
   * that way).
   */
  mark(n = 1): void {
    this.pending += n;
    if (this.pending >= (this.options.maxPending ?? 20_000) && this.running) this.flushSoon();
    else this.schedule();
  }

  /**
   * Resolves once everything buffered so far is committed; rejects if that commit fails. With
   * `soon`, the commit happens on the next turn of the event loop instead of when the batch is
   * due (for a sender that cannot send more until this one is acknowledged: an external broker).
   */
  durable(soon = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (soon && this.running) this.flushSoon();
      else this.schedule();
    });
  }

  private flushSoon(): void {
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.flushNow();
    });
  }

  flushNow(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    this.pending = 0;
    if (!this.handle.isOpen) {
      for (const w of waiters) w.reject(new Error('store is closed'));
      return;
    }
    try {
      this.handle.db.transaction(() => {
        for (const s of this.sources) s.flush();
      })();
      this.stats.flushes++;
      this.committedAt = this.clock.now();
    } catch (err) {
      this.stats.failures++;
      this.logger.error(
        { err: errorText(err) },
        'batched write failed; buffered writes are lost and senders are not acknowledged',
      );
      for (const w of waiters) w.reject(err instanceof Error ? err : new Error(errorText(err)));
      return;
    }
    for (const w of waiters) w.resolve();
    for (const fn of this.afterCommit) fn();
  }

  private schedule(): void {
    if (!this.running) return;
    const now = this.clock.now();
    this.lastAt = now;
    if (this.timer) return;
    this.firstAt = now;
    this.arm(now);
  }

  /** The batch is due at its age limit, or earlier once writes paused (not too soon after the last commit). */
  private due(): number {
    const interval = this.options.intervalMs;
    const idle = this.options.idleMs;
    const byAge = this.firstAt + interval;
    if (idle <= 0) return byAge;
    const byIdle = Math.max(this.lastAt + idle, this.committedAt + Math.min(this.options.minGapMs ?? 20, interval));
    return Math.min(byAge, byIdle);
  }

  private arm(now: number): void {
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        const at = this.clock.now();
        if (at >= this.due()) this.flushNow();
        else this.arm(at);
      },
      Math.max(0, this.due() - now),
    );
  }
}
