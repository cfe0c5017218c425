import { LINK_MAX_FRAME_BYTES } from '../../contracts/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import type { OutboxEntry, OutboxStore } from '../store/index.js';

export interface SenderOptions {
  /** Messages sent and not yet acknowledged, at most (default 256). */
  window: number;
  /** Entries read from the outbox and sent per turn of the event loop (default 64). */
  batch: number;
  /** While draining a backlog after a reconnect: messages per second at most (default 5,000). */
  drainRatePerSec: number;
  /** Largest frame the link carries (LINK_MAX_FRAME_BYTES): a bigger entry could never be sent. */
  maxFrameBytes: number;
}

export const DEFAULT_SENDER: SenderOptions = {
  window: 256,
  batch: 64,
  drainRatePerSec: 5000,
  maxFrameBytes: LINK_MAX_FRAME_BYTES,
};

/** What the sender reads and deletes; `settleAcks` commits deletes an outbox defers (DeferredAckOutbox). */
export type SenderOutbox = Pick<OutboxStore, 'peekAfter' | 'ack' | 'stats'> & { settleAcks?(): void };

export interface SenderHooks {
  /** Writes one entry's message to the socket. */
  send(entry: OutboxEntry): void;
  /** An entry too large for a frame was removed. */
  oversized(entry: OutboxEntry): void;
}

/**
 * Sends outbox entries oldest first with a window of unacknowledged messages (docs/link.md).
 * After a reconnect with a backlog it drains at `drainRatePerSec`, one batch per turn of the
 * event loop, so that the rest of the edge (MQTT, pipeline, twin) keeps running while a long
 * outage is caught up. Once caught up, only the window limits sending.
 */
export class OutboxSender {
  /** msg_id -> outbox id and commit time of every message sent on the current connection and not acknowledged. */
  private readonly inflight = new Map<string, { id: number; ts: number }>();
  private lastSentId = 0;
  private online = false;
  private draining = false;
  private tokens = 0;
  private lastRefill = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private refillTimer: Timer | undefined;
  /** Outbox ids acknowledged by the cloud and not yet deleted: deleted together, one transaction per turn. */
  private acked: number[] = [];
  private ackImmediate: NodeJS.Immediate | undefined;
  /**
   * The last read found nothing beyond what was sent: until `schedule()` announces new entries,
   * an ack needs no read of the outbox (most acks, once caught up).
   */
  private caughtUp = false;

  constructor(
    private readonly outbox: SenderOutbox,
    private readonly options: SenderOptions,
    private readonly clock: Clock,
    private readonly hooks: SenderHooks,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** A new connection: everything not acknowledged is sent again, with its original msg_id. */
  connected(): void {
    this.flushAcks();
    this.outbox.settleAcks?.();
    this.inflight.clear();
    this.lastSentId = 0;
    this.online = true;
    this.draining = this.outbox.stats().count > this.options.batch;
    this.tokens = this.options.batch;
    this.lastRefill = this.clock.now();
    this.caughtUp = false;
    this.kick();
  }

  disconnected(): void {
    this.flushAcks();
    this.online = false;
    this.draining = false;
    this.inflight.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.refillTimer) this.clock.clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
  }

  /**
   * The cloud acknowledged `msgId`; returns when its entry was committed to the outbox, or
   * undefined when it is not one of ours in flight.
   */
  acknowledged(msgId: string): number | undefined {
    const sent = this.inflight.get(msgId);
    if (sent === undefined) return undefined;
    const { id, ts } = sent;
    this.inflight.delete(msgId);
    // Deleting an entry later than its ack is safe (at worst it is sent again after a crash, and
    // the cloud drops it by msg_id); one DELETE transaction per ack was the sender's main cost.
    this.acked.push(id);
    this.ackImmediate ??= setImmediate(() => this.flushAcks());
    if (!this.caughtUp) this.kick();
    return ts;
  }

  /** Deletes the acknowledged entries from the outbox (one transaction). */
  flushAcks(): void {
    if (this.ackImmediate) clearImmediate(this.ackImmediate);
    this.ackImmediate = undefined;
    if (this.acked.length === 0) return;
    const ids = this.acked;
    this.acked = [];
    this.outbox.ack(ids);
  }

  /** New entries were committed: send what the window allows, soon. */
  schedule(): void {
    this.caughtUp = false;
    this.kick();
  }

  private kick(): void {
    if (!this.online || this.scheduled || this.refillTimer) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.pump();
    });
  }

  private pump(): void {
    if (!this.online) return;
    const room = Math.min(this.options.window - this.inflight.size, this.options.batch);
    if (room <= 0) {
      this.caughtUp = false; // the window is full: more may wait behind it
      return;
    }
    const allowed = this.draining ? Math.min(room, this.takeTokens()) : room;
    if (allowed <= 0) return this.waitForTokens();
    // Everything up to lastSentId is in flight or acknowledged: read on after it.
    const fresh = this.outbox.peekAfter(this.lastSentId, allowed, Number.MAX_SAFE_INTEGER);
    for (const entry of fresh) this.sendOne(entry);
    if (this.draining) this.tokens -= fresh.length;
    if (fresh.length < allowed) this.draining = false; // caught up with the backlog
    this.caughtUp = fresh.length < allowed;
    if (fresh.length > 0) this.kick();
  }

  private sendOne(entry: OutboxEntry): void {
    this.lastSentId = entry.id;
    if (entry.bytes > this.options.maxFrameBytes) {
      this.outbox.ack([entry.id]);
      this.hooks.oversized(entry);
      return;
    }
    this.inflight.set(entry.msgId, { id: entry.id, ts: entry.ts });
    this.hooks.send(entry);
  }

  private takeTokens(): number {
    const now = this.clock.now();
    const refill = ((now - this.lastRefill) / 1000) * this.options.drainRatePerSec;
    this.tokens = Math.min(this.options.batch, this.tokens + refill);
    this.lastRefill = now;
    return Math.floor(this.tokens);
  }

  private waitForTokens(): void {
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) / this.options.drainRatePerSec) * 1000));
    this.refillTimer = this.clock.setTimeout(() => {
      this.refillTimer = undefined;
      this.kick();
    }, ms);
  }
}
