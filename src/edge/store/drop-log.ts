import type { Logger } from 'pino';
import type { Clock } from '../../core/clock/index.js';
import type { DropCause } from './types.js';

const WHY: Record<DropCause, string> = {
  size: 'to stay within edge.outbox.maxBytes',
  age: 'older than edge.outbox.maxAgeMs',
  disk: 'to make room on a full disk (edge.disk.maxBytes or the file system)',
};

/**
 * Logs outbox drops with their totals: the first drop at once, then at most one line per cause
 * every `everyMs` (a full disk drops on every commit; a line each time would be its own flood).
 */
export class DropLog {
  private readonly pending = new Map<DropCause, { entries: number; readings: number }>();
  private readonly totals = new Map<DropCause, { entries: number; readings: number }>();
  private lastAt = -Infinity;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly clock: Clock,
    private readonly everyMs = 10_000,
  ) {}

  note(cause: DropCause, readings: number): void {
    const p = this.pending.get(cause) ?? { entries: 0, readings: 0 };
    p.entries++;
    p.readings += readings;
    this.pending.set(cause, p);
    const t = this.totals.get(cause) ?? { entries: 0, readings: 0 };
    t.entries++;
    t.readings += readings;
    this.totals.set(cause, t);
    if (this.clock.now() - this.lastAt >= this.everyMs) this.flush();
  }

  /** Logs what was dropped since the last line. */
  flush(): void {
    if (this.pending.size === 0) return;
    this.lastAt = this.clock.now();
    for (const [cause, p] of this.pending) {
      const t = this.totals.get(cause)!;
      this.logger?.warn(
        {
          code: 'KEDGE_OUTBOX_DROPPED',
          cause,
          readings: p.readings,
          entries: p.entries,
          totalReadings: t.readings,
          totalEntries: t.entries,
        },
        `outbox: dropped the oldest ${p.readings} readings (${p.entries} entries) ${WHY[cause]}; ${t.readings} readings dropped for this cause since start`,
      );
    }
    this.pending.clear();
  }
}
