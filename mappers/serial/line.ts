import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../src/core/async/index.js';
import type { Clock, Timer } from '../../src/core/clock/index.js';
import { errorText } from '../../src/core/errors/index.js';
import { visible } from './escapes.js';
import type { Frame, FrameReject, Framer } from './framers/index.js';
import type { PortLink, PortOpener, PortSettings } from './port.js';

export interface LineSubscriber {
  frame(frame: Frame): void;
  reject(reject: FrameReject): void;
  /** open: the port is open (true) or closed with `reason`. */
  state(open: boolean, reason?: string): void;
}

export interface LineOptions {
  settings: PortSettings;
  framer: Framer;
  opener: PortOpener;
  clock: Clock;
  logger: Logger;
  backoff: BackoffOptions;
  /** Pause after each answered or timed-out request (slow RS-485 converters). */
  interRequestDelayMs: number;
  /** Told about every open attempt (for the opens counter). */
  opened?: (ok: boolean) => void;
}

/** A frame a pending request is waiting for, or why it ended without one. */
export type RequestOutcome =
  | { ok: true; frame: Frame; skipped: number }
  | { ok: false; reason: string; skipped: number };

interface Pending {
  accept(frame: Frame): boolean;
  finish(outcome: RequestOutcome): void;
  skipped: number;
}

/**
 * One serial port shared by every device configured on it (an RS-485 ASCII bus): one framer, one
 * request queue with one outstanding request, and reopening with capped back-off after unplug.
 */
export class SerialLine {
  private link: PortLink | undefined;
  private readonly subscribers = new Set<LineSubscriber>();
  private readonly queue: Array<() => Promise<void>> = [];
  private draining = false;
  private pending: Pending | undefined;
  private retry: Timer | undefined;
  private readonly backoff: Backoff;
  private closed = false;
  private lastReason: string | undefined;

  constructor(private readonly o: LineOptions) {
    this.backoff = new Backoff(o.backoff);
  }

  get path(): string {
    return this.o.settings.path;
  }

  get isOpen(): boolean {
    return this.link !== undefined;
  }

  /** Why the port is closed (for a device joining a line that is down). */
  get closedReason(): string | undefined {
    return this.link ? undefined : (this.lastReason ?? `opening ${this.path}`);
  }

  subscribe(sub: LineSubscriber): () => void {
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  /** Starts opening; never throws: failures are reported to subscribers and retried. */
  open(): void {
    void this.tryOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) this.o.clock.clearTimeout(this.retry);
    this.pending?.finish({ ok: false, reason: `port ${this.path} closed`, skipped: this.pending.skipped });
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  /**
   * Queues `command`, then waits for the first frame `accept` takes, for at most `timeoutMs`.
   * Frames it does not take are counted in `skipped` (echoes, stray lines). Without a command
   * it only waits (a stream device's next frame), still in turn with the other requests.
   */
  request(command: string | undefined, accept: (f: Frame) => boolean, timeoutMs: number): Promise<RequestOutcome> {
    return new Promise<RequestOutcome>((resolve) => {
      this.queue.push(() => this.exchange(command, accept, timeoutMs).then(resolve));
      void this.drain();
    });
  }

  /** Queues `command` and resolves once it is written; no answer is awaited. */
  send(command: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    return new Promise((resolve) => {
      this.queue.push(async () => {
        const link = this.link;
        if (!link || this.closed)
          return resolve({ ok: false, reason: `port ${this.path} is not open (${this.closedReason ?? 'closed'})` });
        try {
          await link.write(Buffer.from(command, 'latin1'));
          resolve({ ok: true });
        } catch (err) {
          resolve({ ok: false, reason: errorText(err) });
        }
      });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let task = this.queue.shift(); task; task = this.queue.shift()) {
        await task();
        if (this.o.interRequestDelayMs > 0) await this.sleep(this.o.interRequestDelayMs);
      }
    } finally {
      this.draining = false;
    }
  }

  private exchange(
    command: string | undefined,
    accept: (f: Frame) => boolean,
    timeoutMs: number,
  ): Promise<RequestOutcome> {
    const link = this.link;
    if (!link || this.closed)
      return Promise.resolve({
        ok: false,
        reason: `port ${this.path} is not open (${this.closedReason ?? 'closed'})`,
        skipped: 0,
      });
    return new Promise<RequestOutcome>((resolve) => {
      const timer = this.o.clock.setTimeout(() => {
        pending.finish({
          ok: false,
          reason:
            command === undefined
              ? `no frame within ${timeoutMs} ms`
              : `no response to ${visible(command)} within ${timeoutMs} ms`,
          skipped: pending.skipped,
        });
      }, timeoutMs);
      const pending: Pending = {
        accept,
        skipped: 0,
        finish: (outcome) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          this.o.clock.clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.pending = pending;
      if (command !== undefined)
        link
          .write(Buffer.from(command, 'latin1'))
          .catch((err: unknown) => pending.finish({ ok: false, reason: errorText(err), skipped: 0 }));
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }

  private async tryOpen(): Promise<void> {
    this.retry = undefined;
    if (this.closed) return;
    try {
      const link = await this.o.opener(this.o.settings, { data: (c) => this.data(c), closed: (r) => this.lost(r) });
      if (this.closed) return void (await link.close());
      this.link = link;
      this.o.opened?.(true);
      this.backoff.reset();
      this.lastReason = undefined;
      this.o.framer.reset();
      this.o.logger.info({ port: this.path }, 'serial port open');
      for (const s of this.subscribers) s.state(true);
    } catch (err) {
      this.o.opened?.(false);
      this.down(errorText(err));
    }
  }

  private lost(reason: string): void {
    this.link = undefined;
    this.pending?.finish({ ok: false, reason: `port ${this.path} closed: ${reason}`, skipped: this.pending.skipped });
    this.down(`port ${this.path} closed: ${reason}`);
  }

  private down(reason: string): void {
    if (this.closed) return;
    const delay = this.backoff.next();
    // Reported once per reason: a port that stays unplugged does not repeat itself every retry.
    if (reason !== this.lastReason) {
      this.o.logger.warn({ port: this.path, retryInMs: delay }, reason);
      for (const s of this.subscribers) s.state(false, reason);
    }
    this.lastReason = reason;
    this.retry = this.o.clock.setTimeout(() => void this.tryOpen(), delay);
  }

  private data(chunk: Buffer): void {
    const out = this.o.framer.push(chunk);
    for (const r of out.rejects) for (const s of this.subscribers) s.reject(r);
    for (const f of out.frames) this.deliver(f);
  }

  private deliver(frame: Frame): void {
    const pending = this.pending;
    if (pending) {
      if (pending.accept(frame)) pending.finish({ ok: true, frame, skipped: pending.skipped });
      else pending.skipped++;
    }
    for (const s of this.subscribers) s.frame(frame);
  }
}
