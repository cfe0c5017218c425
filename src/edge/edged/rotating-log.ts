import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { errorText } from '../../core/errors/index.js';

/** Write failures are logged at most this often (a full disk fails every line). */
const WARN_EVERY_MS = 60_000;

/**
 * All mapper logs of a data dir together (`<data-dir>/logs`) keep within `maxBytes`, their share
 * of `edge.disk.maxBytes`: when a write would pass it, the oldest rotated files (of any mapper)
 * are deleted first; when none is left the line is dropped and counted. Each file rotates at
 * `fileBytes` (an eighth of the budget, at most 5 MiB).
 */
export class LogBudget {
  readonly fileBytes: number;
  private used: number | undefined;
  private lastWarnAt = -Infinity;
  private readonly dropped: Counter<'cause'> | undefined;
  droppedBytes = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly logger?: Logger,
    registry?: Registry,
  ) {
    this.fileBytes = Math.min(5 * 1024 * 1024, Math.max(4096, Math.floor(maxBytes / 8)));
    if (registry)
      this.dropped = new Counter({
        name: 'kedge_edged_log_dropped_bytes_total',
        help: 'Mapper log bytes not written: the log budget (edge.disk.logBytes) was used up, or the write failed (e.g. a full disk)',
        labelNames: ['cause'] as const,
        registers: [registry],
      });
  }

  /** Makes room for `bytes` more; false when even deleting every rotated file would not. */
  take(bytes: number): boolean {
    this.used ??= this.measure();
    while (this.used + bytes > this.maxBytes) {
      const oldest = this.rotatedOldestFirst()[0];
      if (!oldest) return false;
      this.used -= sizeOf(oldest);
      rmSync(oldest, { force: true });
    }
    this.used += bytes;
    return true;
  }

  /** A file was removed by its log (rotation past `keep`). */
  released(bytes: number): void {
    if (this.used !== undefined) this.used = Math.max(0, this.used - bytes);
  }

  drop(bytes: number, cause: 'budget' | 'error', err?: unknown): void {
    this.droppedBytes += bytes;
    this.dropped?.inc({ cause }, bytes);
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger?.warn(
      {
        code: 'KEDGE_EDGED_LOG_DROPPED',
        cause,
        err: err === undefined ? undefined : errorText(err),
        droppedBytes: this.droppedBytes,
      },
      cause === 'budget'
        ? `mapper log lines dropped: the logs in ${this.dir} use their whole share (edge.disk.logBytes ${this.maxBytes})`
        : `mapper log lines dropped: writing to ${this.dir} failed`,
    );
  }

  private measure(): number {
    let total = 0;
    for (const f of this.files()) total += sizeOf(f);
    return total;
  }

  private files(): string[] {
    try {
      return readdirSync(this.dir).map((f) => join(this.dir, f));
    } catch {
      return [];
    }
  }

  private rotatedOldestFirst(): string[] {
    return this.files()
      .filter((f) => /\.log\.\d+$/.test(f))
      .map((f) => ({ f, t: mtimeOf(f) }))
      .sort((a, b) => a.t - b.t)
      .map((x) => x.f);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * A log file rotated by size: `name.log` -> `name.log.1` -> ... -> `name.log.<keep>`, the oldest
 * deleted. Synchronous writes: mapper output is small, and a line must not be lost on a crash.
 * A write never throws: a full disk or a used-up budget drops the line (counted by the budget),
 * and the next write tries again.
 */
export class RotatingLog {
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;

  constructor(
    private readonly file: string,
    maxBytes = 5 * 1024 * 1024,
    private readonly keep = 3,
    private readonly budget?: LogBudget,
  ) {
    this.maxBytes = budget ? Math.min(maxBytes, budget.fileBytes) : maxBytes;
  }

  write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
      if (this.budget && !this.budget.take(data.length)) return this.budget.drop(data.length, 'budget');
      writeSync(this.fd!, data);
      this.size += data.length;
    } catch (err) {
      // ENOSPC and friends: the line is lost, the mapper and the edge go on; reopen next time.
      this.budget?.drop(data.length, 'error', err);
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
    }
    this.fd = undefined;
  }

  private open(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const last = `${this.file}.${this.keep}`;
    if (existsSync(last)) {
      this.budget?.released(sizeOf(last));
      rmSync(last, { force: true });
    }
    for (let i = this.keep - 1; i >= 1; i--)
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    renameSync(this.file, `${this.file}.1`);
    this.open();
  }
}
