import type { Clock, Timer } from '../../core/clock/index.js';
import type { OutboxEntry, OutboxEntryInput, OutboxStats, OutboxStore } from './types.js';
import type { WriteBatcher } from './write-batcher.js';

/**
 * The outbox as the cloud link sees it: entries the cloud acknowledged are deleted by the next
 * commit of the hot path (readings arrive every second or faster), or after `delayMs` in a
 * commit of their own, instead of in a transaction per turn of the event loop. Every commit
 * writes the pages it touches to the WAL (page 1, the free list, the outbox's pages), so on an
 * SD card the deletes cost a fraction when they ride along (bench/RESULTS.md, "SD card writes").
 * Deleting later than the ack is safe: an entry still there after a crash is sent again and the
 * cloud drops it by msg_id (its dedupe window holds 2,048 ids per node); a new connection settles
 * the deletes first, so a reconnect does not send them again.
 */
export class DeferredAckOutbox implements OutboxStore {
  private pending: number[] = [];
  private taken: number[] | undefined;
  private timer: Timer | undefined;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly batcher: WriteBatcher,
    private readonly clock: Clock,
    private readonly delayMs = 1000,
  ) {
    batcher.register({
      flush: () => this.flush(),
      rollback: () => {
        if (this.taken) this.pending = [...this.taken, ...this.pending];
        this.taken = undefined;
      },
    });
  }

  ack(ids: number[]): number {
    if (ids.length === 0) return 0;
    for (const id of ids) this.pending.push(id);
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.pending.length > 0) this.batcher.mark();
    }, this.delayMs);
    return ids.length;
  }

  /** Commits the waiting deletes now (a new connection reads the outbox from its start). */
  settleAcks(): void {
    if (this.pending.length > 0) this.batcher.flushNow();
  }

  /** Runs inside the batcher's transaction. */
  private flush(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.taken = this.pending;
    this.pending = [];
    if (this.taken.length > 0) this.outbox.ack(this.taken);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  append(entries: OutboxEntryInput[]): number[] {
    return this.outbox.append(entries);
  }

  peek(limit: number, maxBytes: number): OutboxEntry[] {
    return this.outbox.peek(limit, maxBytes);
  }

  peekAfter(afterId: number, limit: number, maxBytes: number): OutboxEntry[] {
    return this.outbox.peekAfter(afterId, limit, maxBytes);
  }

  takeLatest(kind: 'twin' | 'state', key: string): OutboxEntry | undefined {
    return this.outbox.takeLatest(kind, key);
  }

  makeRoom(bytes: number): number {
    return this.outbox.makeRoom(bytes);
  }

  /** The count leaves out entries acknowledged and not yet deleted. */
  stats(): OutboxStats {
    const s = this.outbox.stats();
    return { ...s, count: Math.max(0, s.count - this.pending.length) };
  }
}
