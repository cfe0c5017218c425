import type { Logger } from 'pino';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { DbHandle } from './db.js';
import { isDiskFull, sqliteCode } from './sqlite-errors.js';

/** Something with buffered writes; `flush` runs inside the batcher's transaction. */
export interface FlushSource {
  flush(): void;
  /**
   * The transaction failed and was rolled back: take back what `flush` took, so that it is written
   * by a later flush (run at once when the batcher made room on a full disk and retries).
   */
  rollback?(): void;
  /**
   * The commit failed for good and the senders waiting on it were told (a mapper then sends its
   * unacknowledged messages again): drop what they will send again, keep what only lives here.
   */
  abandon?(): void;
}

/** A commit failure handed to `onFailure`, after the retry (if any) failed too. */
export interface CommitFailure {
  error: Error;
  diskFull: boolean;
  consecutive: number;
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
  /**
   * A commit found no room (SQLITE_FULL): make some (drop the oldest readings, give up the
   * reserve, checkpoint) and answer whether the commit should be tried once more.
   */
  onDiskFull?: (err: Error) => boolean;
  /** After every failed commit (health, metrics, the exit after repeated failures). */
  onFailure?: (failure: CommitFailure) => void;
  /** After every successful commit that followed a failure. */
  onRecovered?: () => void;
}

/** Repeated failures are logged at most this often (with their count), not on every commit. */
const FAILURE_LOG_EVERY_MS = 10_000;

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
  readonly stats = { flushes: 0, failures: 0, consecutiveFailures: 0, diskFullRetries: 0 };
  private lastFailureLogAt = -Infinity;
  private unloggedFailures = 0;

  constructor(
    private readonly handle: DbHandle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: WriteBatcherOptions,
  ) {}

  /** When the last commit ran (the clock's ms; -Infinity before the first). */
  get lastCommitAt(): number {
    return this.committedAt;
  }

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
    let err = this.commit();
    if (err && isDiskFull(err) && this.options.onDiskFull) {
      this.stats.diskFullRetries++;
      let retry = false;
      try {
        retry = this.options.onDiskFull(err);
      } catch (roomErr) {
        this.logger.warn({ err: errorText(roomErr) }, 'could not make room on the full disk');
      }
      if (retry) err = this.commit();
    }
    if (err) return this.failed(err, waiters);
    this.stats.flushes++;
    this.committedAt = this.clock.now();
    if (this.stats.consecutiveFailures > 0) {
      this.logger.info(
        { failures: this.stats.consecutiveFailures },
        `store commits succeed again after ${this.stats.consecutiveFailures} failed`,
      );
      this.stats.consecutiveFailures = 0;
      this.unloggedFailures = 0;
      this.options.onRecovered?.();
    }
    for (const w of waiters) w.resolve();
    for (const fn of this.afterCommit) fn();
  }

  /** One transaction over every source; on failure each source takes back what it took. */
  private commit(): Error | undefined {
    try {
      this.handle.db.transaction(() => {
        for (const s of this.sources) s.flush();
      })();
      return undefined;
    } catch (err) {
      for (const s of this.sources) s.rollback?.();
      return err instanceof Error ? err : new Error(errorText(err));
    }
  }

  private failed(err: Error, waiters: Array<{ reject: (err: Error) => void }>): void {
    this.stats.failures++;
    this.stats.consecutiveFailures++;
    this.unloggedFailures++;
    const diskFull = isDiskFull(err);
    const now = this.clock.now();
    if (now - this.lastFailureLogAt >= FAILURE_LOG_EVERY_MS) {
      this.lastFailureLogAt = now;
      this.logger.error(
        {
          code: diskFull ? 'KEDGE_STORE_DISK_FULL' : 'KEDGE_STORE_COMMIT',
          sqlite: sqliteCode(err),
          err: errorText(err),
          failures: this.unloggedFailures,
          consecutive: this.stats.consecutiveFailures,
        },
        diskFull
          ? 'store commit failed: no room on the disk and no old readings left to drop; senders are not acknowledged (mappers keep their readings and send them again)'
          : 'store commit failed; senders are not acknowledged (mappers send their readings again)',
      );
      this.unloggedFailures = 0;
    }
    for (const s of this.sources) s.abandon?.();
    for (const w of waiters) w.reject(err);
    this.options.onFailure?.({ error: err, diskFull, consecutive: this.stats.consecutiveFailures });
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
