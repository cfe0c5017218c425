import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock/index.js';
import type { Message } from '../../core/message/index.js';
import type { DbHandle } from './db.js';
import { DropLog } from './drop-log.js';
import type { DropCause, OutboxBounds, OutboxEntry, OutboxEntryInput, OutboxStats, OutboxStore } from './types.js';

/** Defaults: 256 MB and 7 days, enough for a week-long outage of a typical node on an SD card. */
export const DEFAULT_OUTBOX_BOUNDS: OutboxBounds = { maxBytes: 256 * 1024 * 1024, maxAgeMs: 7 * 24 * 3600 * 1000 };

/** Age is checked at most this often, so that an append stays one insert in the common case. */
const AGE_CHECK_EVERY_MS = 1000;
const DROPPABLE = "('reading', 'status')";
/** Kinds whose newest entry a writer folds into the next (the partial index of migration 5). */
const FOLDABLE = "('twin', 'state')";

/**
 * Bodies of at least this many bytes are stored compressed (raw deflate): telemetry batches and
 * twin reports, about a third of their JSON (SD card writes, bench/RESULTS.md); a device state is
 * left as it is.
 */
const COMPRESS_FROM_BYTES = 512;

interface Row {
  id: number;
  kind: OutboxEntry['kind'];
  key: string;
  ts: number;
  bytes: number;
  /** The JSON, or (a blob) the JSON compressed. */
  body: string | Buffer;
  msg_id: string | null;
}

/** What is stored for a message's JSON. */
export function storedBody(json: string, bytes: number): string | Buffer {
  return bytes < COMPRESS_FROM_BYTES ? json : deflateRawSync(json, { level: 6 });
}

/** An entry read back; the message is parsed only if someone asks for it (the sender does not). */
class StoredEntry implements OutboxEntry {
  readonly id: number;
  readonly kind: OutboxEntry['kind'];
  readonly key: string;
  readonly ts: number;
  readonly bytes: number;
  readonly body: string;
  readonly msgId: string;
  private parsed: Message | undefined;

  constructor(row: Row) {
    this.id = row.id;
    this.kind = row.kind;
    this.key = row.key;
    this.ts = row.ts;
    this.bytes = row.bytes;
    this.body = typeof row.body === 'string' ? row.body : inflateRawSync(row.body).toString();
    this.msgId = row.msg_id ?? this.message.header.msg_id;
  }

  get message(): Message {
    this.parsed ??= JSON.parse(this.body) as Message;
    return this.parsed;
  }
}

export interface SqliteOutboxOptions {
  bounds?: Partial<OutboxBounds>;
  clock: Clock;
  registry?: Registry;
  /** Where drops are logged with their totals. */
  logger?: Logger;
}

const BY: Record<DropCause, 'bySize' | 'byAge' | 'byDisk'> = { size: 'bySize', age: 'byAge', disk: 'byDisk' };

/** The cloud link's outbox in SQLite; counters are kept in memory and initialised from the table. */
export class SqliteOutboxStore implements OutboxStore {
  private readonly bounds: OutboxBounds;
  private stmts:
    | Record<
        | 'insert'
        | 'peek'
        | 'peekAfter'
        | 'latest'
        | 'del'
        | 'oldest'
        | 'totals'
        | 'droppable'
        | 'droppableTs'
        | 'maxId',
        Statement
      >
    | undefined;
  private totals: { count: number; bytes: number } | undefined;
  private readonly dropped = { bySize: 0, byAge: 0, byDisk: 0, readings: 0 };
  private lastAgeCheck = -Infinity;
  /**
   * The next entry's id. Ids only grow while the process runs (the sender reads on after the last
   * id it sent), also when the table was emptied, which a rowid alone would not give; when the
   * file is opened it starts after the largest id in the table (statements()).
   */
  private nextId: number | undefined;
  private readonly dropCounter: Counter<'cause'> | undefined;
  private readonly droppedReadings: Counter<'cause'> | undefined;
  readonly dropLog: DropLog;
  private pendingDrops: Array<{ cause: DropCause; readings: number }> = [];
  /** Entries appended by this instance (for announcing new entries after a commit). */
  appended = 0;

  constructor(
    private readonly handle: DbHandle,
    private readonly options: SqliteOutboxOptions,
  ) {
    this.bounds = { ...DEFAULT_OUTBOX_BOUNDS, ...options.bounds };
    this.dropLog = new DropLog(options.logger, options.clock);
    if (options.registry) {
      this.dropCounter = new Counter({
        name: 'kedge_outbox_dropped_total',
        help: 'Outbox entries dropped to respect the size and age bounds or for a full disk, by cause',
        labelNames: ['cause'] as const,
        registers: [options.registry],
      });
      this.droppedReadings = new Counter({
        name: 'kedge_outbox_dropped_readings_total',
        help: 'Readings in the outbox entries dropped, by cause (size, age, disk)',
        labelNames: ['cause'] as const,
        registers: [options.registry],
      });
      this.backlogGauges(options.registry);
    }
  }

  /**
   * The backlog a link outage leaves, read when scraped: messages and bytes waiting for the
   * cloud's acknowledgement and the age of the oldest (0 when none waits). `backlog growing` in
   * deploy/prometheus alerts on these.
   */
  private backlogGauges(registry: Registry): void {
    const read = (): OutboxStats | undefined => {
      try {
        return this.stats();
      } catch {
        return undefined; // the store is closed (the edge is stopping)
      }
    };
    new Gauge({
      name: 'kedge_outbox_messages',
      help: 'Messages in the outbox waiting for the cloud',
      registers: [registry],
      collect() {
        const s = read();
        if (s) this.set(s.count);
      },
    });
    new Gauge({
      name: 'kedge_outbox_bytes',
      help: 'Bytes of the messages in the outbox (their JSON)',
      registers: [registry],
      collect() {
        const s = read();
        if (s) this.set(s.bytes);
      },
    });
    const clock = this.options.clock;
    new Gauge({
      name: 'kedge_outbox_oldest_age_seconds',
      help: 'Age of the oldest message in the outbox (0 when it is empty)',
      registers: [registry],
      collect() {
        const s = read();
        if (s) this.set(s.oldestTs === undefined ? 0 : Math.max(0, clock.now() - s.oldestTs) / 1000);
      },
    });
  }

  append(entries: OutboxEntryInput[]): number[] {
    if (entries.length === 0) return [];
    const s = this.prepare();
    const totals = this.ensureTotals();
    const now = this.options.clock.now();
    const ids: number[] = [];
    this.inTransaction(() => {
      for (const e of entries) {
        const json = JSON.stringify(e.message);
        const bytes = Buffer.byteLength(json);
        const id = this.takeId();
        s.insert.run(id, e.kind, e.key, now, bytes, storedBody(json, bytes), e.message.header.msg_id, e.readings ?? 0);
        ids.push(id);
        totals.count++;
        totals.bytes += bytes;
        this.appended++;
      }
      this.enforceAge(now);
      this.enforceSize();
    });
    return ids;
  }

  peek(limit: number, maxBytes: number): OutboxEntry[] {
    return this.entries(this.prepare().peek.all(Math.max(1, limit)) as Row[], maxBytes);
  }

  peekAfter(afterId: number, limit: number, maxBytes: number): OutboxEntry[] {
    return this.entries(this.prepare().peekAfter.all(afterId, Math.max(1, limit)) as Row[], maxBytes);
  }

  private entries(rows: Row[], maxBytes: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (out.length > 0 && bytes + row.bytes > maxBytes) break;
      bytes += row.bytes;
      out.push(new StoredEntry(row));
    }
    return out;
  }

  ack(ids: number[]): number {
    if (ids.length === 0) return 0;
    const s = this.prepare();
    let removed = 0;
    this.inTransaction(() => {
      for (const id of ids) removed += this.deleteRow(s, id);
    });
    return removed;
  }

  takeLatest(kind: 'twin' | 'state', key: string): OutboxEntry | undefined {
    const s = this.prepare();
    const row = s.latest.get(kind, key) as Row | undefined;
    if (!row) return undefined;
    this.deleteRow(s, row.id);
    return new StoredEntry(row);
  }

  makeRoom(bytes: number): number {
    const s = this.prepare();
    let freed = 0;
    this.inTransaction(() => {
      while (freed < bytes) {
        const batch = s.droppable.all(256) as Array<{ id: number }>;
        if (batch.length === 0) return;
        for (const { id } of batch) {
          freed += this.drop(s, id, 'disk');
          if (freed >= bytes) return;
        }
      }
    });
    return freed;
  }

  stats(): OutboxStats {
    const totals = this.ensureTotals();
    const oldest = this.prepare().oldest.get() as { ts: number } | undefined;
    return { count: totals.count, bytes: totals.bytes, oldestTs: oldest?.ts, dropped: { ...this.dropped } };
  }

  reset(): void {
    this.stmts = undefined;
    this.totals = undefined;
  }

  private takeId(): number {
    this.prepare();
    return this.nextId!++;
  }

  /**
   * The enclosing transaction (the batcher's) committed: the drops made in it happened, count
   * and log them. Drops are only noted until then, since a rolled-back delete dropped nothing.
   */
  committed(): void {
    const drops = this.pendingDrops;
    if (drops.length === 0) return;
    this.pendingDrops = [];
    for (const d of drops) {
      this.dropped[BY[d.cause]]++;
      this.dropped.readings += d.readings;
      this.dropCounter?.inc({ cause: d.cause });
      if (d.readings > 0) this.droppedReadings?.inc({ cause: d.cause }, d.readings);
      this.dropLog.note(d.cause, d.readings);
    }
  }

  /** The enclosing transaction rolled back: its drops and appends did not happen. */
  rolledBack(): void {
    this.pendingDrops = [];
    this.totals = undefined;
  }

  /** Runs `fn` in a transaction (a savepoint inside the batcher's) and settles its drops when it is the outermost. */
  private inTransaction(fn: () => void): void {
    const db = this.handle.db;
    const outermost = !db.inTransaction;
    try {
      db.transaction(fn)();
    } catch (err) {
      if (outermost) this.rolledBack();
      throw err;
    }
    if (outermost) this.committed();
  }

  private deleteRow(s: NonNullable<typeof this.stmts>, id: number): number {
    return this.deleteReturning(s, id) ? 1 : 0;
  }

  private deleteReturning(
    s: NonNullable<typeof this.stmts>,
    id: number,
  ): { bytes: number; readings: number } | undefined {
    const row = s.del.get(id) as { bytes: number; readings: number } | undefined;
    if (!row) return undefined;
    const totals = this.ensureTotals();
    totals.count--;
    totals.bytes -= row.bytes;
    return row;
  }

  /**
   * Drops droppable entries older than the age bound, oldest first, up to the first one young
   * enough (entries are stamped when appended, so later ones are younger): the check reads a few
   * rows when nothing is due, however large an outage made the outbox.
   */
  private enforceAge(now: number): void {
    if (now - this.lastAgeCheck < AGE_CHECK_EVERY_MS) return;
    this.lastAgeCheck = now;
    const s = this.prepare();
    const cutoff = now - this.bounds.maxAgeMs;
    for (;;) {
      const batch = s.droppableTs.all(256) as Array<{ id: number; ts: number }>;
      for (const { id, ts } of batch) {
        if (ts >= cutoff) return;
        this.drop(s, id, 'age');
      }
      if (batch.length < 256) return;
    }
  }

  /** Drops the oldest droppable entries until the total fits; twin/state entries are never dropped. */
  private enforceSize(): void {
    const totals = this.ensureTotals();
    const s = this.prepare();
    while (totals.bytes > this.bounds.maxBytes) {
      const batch = s.droppable.all(256) as Array<{ id: number }>;
      if (batch.length === 0) return;
      for (const { id } of batch) {
        this.drop(s, id, 'size');
        if (totals.bytes <= this.bounds.maxBytes) return;
      }
    }
  }

  /** Drops one entry (counted per entry and per reading once its transaction commits); returns its bytes. */
  private drop(s: NonNullable<typeof this.stmts>, id: number, cause: DropCause): number {
    const row = this.deleteReturning(s, id);
    if (!row) return 0;
    this.pendingDrops.push({ cause, readings: row.readings });
    return row.bytes;
  }

  private ensureTotals(): { count: number; bytes: number } {
    if (!this.totals) {
      const row = this.prepare().totals.get() as { count: number; bytes: number | null };
      this.totals = { count: row.count, bytes: row.bytes ?? 0 };
    }
    return this.totals;
  }

  private prepare() {
    if (!this.stmts) this.stmts = this.statements();
    return this.stmts;
  }

  private statements(): NonNullable<typeof this.stmts> {
    const db = this.handle.db;
    const stmts = {
      insert: db.prepare(
        'INSERT INTO outbox (id, kind, key, ts, bytes, body, msg_id, readings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      maxId: db.prepare('SELECT MAX(id) AS id FROM outbox'),
      peek: db.prepare('SELECT id, kind, key, ts, bytes, body, msg_id FROM outbox ORDER BY id LIMIT ?'),
      peekAfter: db.prepare(
        'SELECT id, kind, key, ts, bytes, body, msg_id FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
      ),
      latest: db.prepare(
        `SELECT id, kind, key, ts, bytes, body, msg_id FROM outbox WHERE kind IN ${FOLDABLE} AND kind = ? AND key = ? ORDER BY id DESC LIMIT 1`,
      ),
      del: db.prepare('DELETE FROM outbox WHERE id = ? RETURNING bytes, readings'),
      oldest: db.prepare('SELECT ts FROM outbox ORDER BY id LIMIT 1'),
      totals: db.prepare('SELECT COUNT(*) AS count, SUM(bytes) AS bytes FROM outbox'),
      droppable: db.prepare(`SELECT id FROM outbox WHERE kind IN ${DROPPABLE} ORDER BY id LIMIT ?`),
      droppableTs: db.prepare(`SELECT id, ts FROM outbox WHERE kind IN ${DROPPABLE} ORDER BY id LIMIT ?`),
    };
    // Before anything is read or deleted in this file: an id a sender has seen (and perhaps
    // deleted since) is never handed out again, also across a reopened file.
    const max = stmts.maxId.get() as { id: number | null };
    this.nextId = Math.max(this.nextId ?? 1, (max.id ?? 0) + 1);
    return stmts;
  }
}
