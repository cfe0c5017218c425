import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { DbHandle } from './db.js';
import { freeBytes, measureDataDir, RESERVE_FILE, totalOf, type DiskParts } from './disk-usage.js';
import { storeErrors } from './errors.js';
import { createReserve, releaseReserve } from './reserve.js';
import { isDiskFull } from './sqlite-errors.js';
import type { OutboxStore } from './types.js';

/** `edge.disk` of the configuration. */
export interface DiskBounds {
  maxBytes: number;
  walBytes: number;
  logBytes: number;
  reserveBytes: number;
  checkIntervalMs: number;
  truncateIntervalMs: number;
}

export interface DiskHealth {
  /** `full`: a commit found no room since the last check, or the file system has less than the reserve left. */
  state: 'ok' | 'full';
  limitBytes: number;
  usedBytes: number;
  /** Free on the file system holding the data dir (for unprivileged writers). */
  freeBytes: number | undefined;
  parts: DiskParts;
  /** Times a commit found the disk full since start. */
  fullEvents: number;
}

/** The file's share of the bound: the rest after the WAL, the logs, the reserve and the other files. */
export function dbShare(bounds: DiskBounds, other: number): number {
  return bounds.maxBytes - bounds.walBytes - bounds.logBytes - bounds.reserveBytes - other;
}

/** Below this the file's share is not worth running with: the bound is set too low for what it holds. */
const MIN_DB_SHARE = 1024 * 1024;

/**
 * Keeps everything in the data dir inside `edge.disk.maxBytes` and the edge running on a full
 * disk. The parts: `edge.db` is capped by `max_page_count` at its share (what the WAL, the logs,
 * the reserve and the other files leave); the WAL is checkpointed at half its share and truncated
 * to it on reset (`journal_size_limit`), and checkpointed and truncated every `checkIntervalMs`;
 * the mapper logs keep to theirs (edged's LogBudget). When a commit finds no room (the cap, or the
 * file system itself is full) the guard gives up the reserve file, drops the oldest readings
 * (counted per reading, logged with totals), checkpoints, and lets the commit run again; the
 * reserve is written again once the file system has room for it twice.
 */
export class DiskGuard {
  private timer: Timer | undefined;
  private parts: DiskParts = { db: 0, wal: 0, logs: 0, reserve: 0, other: 0 };
  private free: number | undefined;
  private fullSinceCheck = false;
  private fullEvents = 0;
  private truncatedAt = -Infinity;
  private state: DiskHealth['state'] = 'ok';
  private readonly metrics: {
    used: Gauge<'part'>;
    limit: Gauge;
    free: Gauge;
    full: Gauge;
    events: Counter;
  };

  constructor(
    private readonly deps: {
      dataDir: string;
      handle: DbHandle;
      outbox: Pick<OutboxStore, 'makeRoom' | 'stats'> & { dropLog?: { flush(): void } };
      bounds: DiskBounds;
      clock: Clock;
      logger: Logger;
      registry?: Registry;
    },
  ) {
    const registers = deps.registry ? [deps.registry] : [];
    this.metrics = {
      used: new Gauge({
        name: 'kedge_edge_disk_used_bytes',
        help: 'Bytes the edge keeps in its data dir, by part (db, wal, logs, reserve, other)',
        labelNames: ['part'] as const,
        registers,
      }),
      limit: new Gauge({ name: 'kedge_edge_disk_limit_bytes', help: 'edge.disk.maxBytes', registers }),
      free: new Gauge({
        name: 'kedge_edge_disk_free_bytes',
        help: 'Free bytes on the file system of the data dir',
        registers,
      }),
      full: new Gauge({ name: 'kedge_edge_disk_full', help: '1 while the disk is full (see /healthz)', registers }),
      events: new Counter({
        name: 'kedge_edge_disk_full_events_total',
        help: 'Commits that found no room on the disk (the edge then dropped the oldest readings)',
        registers,
      }),
    };
    this.metrics.limit.set(deps.bounds.maxBytes);
  }

  private get reservePath(): string {
    return join(this.deps.dataDir, RESERVE_FILE);
  }

  /** Measures what the data dir holds now (before the file is opened: its share is set from it). */
  measure(): DiskParts {
    this.parts = measureDataDir(this.deps.dataDir, this.deps.handle.file);
    this.free = freeBytes(this.deps.dataDir);
    return this.parts;
  }

  /** The byte limit for `edge.db` given the other files now; throws when the bound leaves too little. */
  dbLimit(): number {
    const share = dbShare(this.deps.bounds, this.parts.other);
    if (share < MIN_DB_SHARE) {
      const b = this.deps.bounds;
      throw storeErrors.create(
        'KEDGE_STORE_DISK_BOUND',
        `edge.disk.maxBytes (${b.maxBytes}) leaves ${Math.max(0, share)} bytes for edge.db after the WAL (${b.walBytes}), the logs (${b.logBytes}), the reserve (${b.reserveBytes}) and the other files in ${this.deps.dataDir} (${this.parts.other}); at least ${MIN_DB_SHARE} are needed`,
      );
    }
    return share;
  }

  start(): void {
    this.check();
    this.timer = this.deps.clock.setInterval(() => this.check(), this.deps.bounds.checkIntervalMs);
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.deps.outbox.dropLog?.flush();
  }

  /**
   * The batcher's answer to SQLITE_FULL: make room, and say whether the commit should run again.
   * Never throws; a step that fails (it may need room itself) is skipped.
   */
  onDiskFull(err: Error): boolean {
    this.fullEvents++;
    this.fullSinceCheck = true;
    this.metrics.events.inc();
    this.setState('full', errorText(err));
    const released = releaseReserve(this.reservePath);
    if (released) this.deps.logger.warn({ file: this.reservePath }, 'disk full: gave up the reserve file');
    const want = Math.min(4 << 20, Math.max(256 << 10, Math.floor(this.deps.outbox.stats().bytes / 16)));
    let freed = this.tryRoom(want);
    const checkpointed = this.checkpoint();
    if (freed === 0 && checkpointed) freed = this.tryRoom(want);
    return released || freed > 0 || checkpointed;
  }

  health(): DiskHealth {
    return {
      state: this.state,
      limitBytes: this.deps.bounds.maxBytes,
      usedBytes: totalOf(this.parts),
      freeBytes: this.free,
      parts: { ...this.parts },
      fullEvents: this.fullEvents,
    };
  }

  /** The scheduled work: measure, the reserve, the page cap, the state; checkpoint and truncate the WAL now and then. */
  check(): void {
    if (!this.deps.handle.isOpen) return;
    const now = this.deps.clock.now();
    // Every truncation is a forced checkpoint: not on every check (SD card writes).
    if (now - this.truncatedAt >= this.deps.bounds.truncateIntervalMs) {
      this.truncatedAt = now;
      this.checkpoint();
    }
    this.measure();
    const b = this.deps.bounds;
    if (b.reserveBytes > 0 && this.parts.reserve === 0 && (this.free ?? 0) >= 2 * b.reserveBytes) {
      if (createReserve(this.reservePath, b.reserveBytes)) this.measure();
    }
    this.applyCap();
    const full =
      this.fullSinceCheck || (this.free !== undefined && this.free < b.reserveBytes && this.parts.reserve === 0);
    this.fullSinceCheck = false;
    this.setState(full ? 'full' : 'ok');
    for (const [part, bytes] of Object.entries(this.parts)) this.metrics.used.set({ part }, bytes);
    if (this.free !== undefined) this.metrics.free.set(this.free);
    this.deps.outbox.dropLog?.flush();
  }

  /** `max_page_count` from the file's share now (the other files change: mapper state, buffers). */
  private applyCap(): void {
    const db = this.deps.handle.db;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const share = Math.max(MIN_DB_SHARE, dbShare(this.deps.bounds, this.parts.other));
    // SQLite keeps the current page count when asked for less: the file only shrinks by drops then.
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(share / pageSize))}`);
    // On a file system smaller than the bound, a WAL waiting for half its share would fill it
    // before its checkpoint: checkpoint it at an eighth of what can really be had.
    const room = this.free === undefined ? Infinity : totalOf(this.parts) + this.free;
    const wal = Math.min(this.deps.bounds.walBytes, room / 4);
    db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(wal / 2 / pageSize))}`);
  }

  private tryRoom(bytes: number): number {
    try {
      return this.deps.outbox.makeRoom(bytes);
    } catch (err) {
      if (!isDiskFull(err)) this.deps.logger.warn({ err: errorText(err) }, 'could not drop old readings');
      return 0;
    }
  }

  /** `wal_checkpoint(TRUNCATE)`: true when the WAL was emptied. */
  private checkpoint(): boolean {
    try {
      const [row] = this.deps.handle.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      return row?.busy === 0;
    } catch (err) {
      if (!isDiskFull(err)) this.deps.logger.warn({ err: errorText(err) }, 'WAL checkpoint failed');
      return false;
    }
  }

  private setState(state: DiskHealth['state'], reason?: string): void {
    this.metrics.full.set(state === 'full' ? 1 : 0);
    if (state === this.state) return;
    this.state = state;
    const h = this.health();
    if (state === 'full')
      this.deps.logger.warn(
        {
          code: 'KEDGE_STORE_DISK_FULL',
          reason,
          usedBytes: h.usedBytes,
          limitBytes: h.limitBytes,
          freeBytes: h.freeBytes,
        },
        'disk full: dropping the oldest readings to keep storing new ones (edge.disk.maxBytes or the file system)',
      );
    else
      this.deps.logger.info(
        { usedBytes: h.usedBytes, limitBytes: h.limitBytes, freeBytes: h.freeBytes },
        'disk has room again',
      );
  }
}
