/**
 * One physical line as the driver shares it: a transport (the connection) and its request queue.
 * Every device (unit) on the line uses the same pair; the last device to leave closes it.
 */
import type { Logger } from 'pino';
import { errorText } from '../../src/core/errors/index.js';
import type { BackoffOptions } from '../../src/core/async/index.js';
import { LineQueue } from './line-queue.js';
import type { LineSettings } from './poller-plan.js';
import { ModbusTransport } from './transport.js';

export interface SharedLine {
  key: string;
  transport: ModbusTransport;
  queue: LineQueue;
  refs: number;
  /** Settles after the first connection attempt (either way): polling before it only fails. */
  ready: Promise<void>;
}

export interface LineTuning {
  /** Back-off of a failing unit (default 1 s doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Reconnect back-off of the connection (default 500 ms doubling to 30 s). */
  reconnect?: { initialMs?: number; maxMs?: number };
}

/** Extra time the queue allows over the transport's own timeout, so the transport's error wins. */
const QUEUE_TIMEOUT_MARGIN_MS = 500;

export class LinePool {
  private readonly lines = new Map<string, SharedLine>();

  constructor(
    private readonly logger: Logger,
    private readonly tuning: LineTuning = {},
  ) {}

  /** The line for these settings, opened on first use. Never throws for an unreachable endpoint. */
  acquire(settings: LineSettings): SharedLine {
    const existing = this.lines.get(settings.key);
    if (existing) {
      existing.refs += 1;
      return existing;
    }
    const transport = new ModbusTransport({
      ...settings.transport,
      reconnect: this.tuning.reconnect ?? { initialMs: 500, maxMs: 30_000 },
      onConnectionChange: (up, err) => {
        if (up) this.logger.info({ line: settings.key }, 'Modbus line connected');
        else this.logger.warn({ line: settings.key, err: err?.message }, 'Modbus line lost; reconnecting');
      },
    });
    const queue = new LineQueue(settings.key, {
      interRequestDelayMs: settings.interRequestDelayMs,
      timeoutMs: settings.timeoutMs + QUEUE_TIMEOUT_MARGIN_MS,
      backoff: this.tuning.backoff ?? { initialMs: 1000, maxMs: 30_000 },
      ...(settings.rtu ? { rtu: settings.rtu } : {}),
    });
    // The transport retries on its own after a failed first attempt; requests fail meanwhile.
    const ready = transport
      .start()
      .catch((err: unknown) =>
        this.logger.warn({ line: settings.key, err: errorText(err) }, 'Modbus line not reachable yet'),
      );
    const line: SharedLine = { key: settings.key, transport, queue, refs: 1, ready };
    this.lines.set(settings.key, line);
    return line;
  }

  async release(line: SharedLine): Promise<void> {
    line.refs -= 1;
    if (line.refs > 0 || this.lines.get(line.key) !== line) return;
    this.lines.delete(line.key);
    line.queue.stop();
    await line.transport.stop();
  }

  async closeAll(): Promise<void> {
    const lines = [...this.lines.values()];
    this.lines.clear();
    for (const line of lines) {
      line.queue.stop();
      await line.transport.stop();
    }
  }

  get size(): number {
    return this.lines.size;
  }
}
