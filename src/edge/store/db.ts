import type { Database as Db } from 'better-sqlite3';
import type { Logger } from 'pino';
import { openSqlite } from '../../core/sqlite/index.js';
import { moveAside } from './damaged.js';
import { storeErrors } from './errors.js';
import { migrations } from './migrations.js';
import { isCorrupt } from './sqlite-errors.js';

/** How the edge's file is opened; every field is optional (tests open plain files). */
export interface EdgeDbOptions {
  /** The file's share of the disk bound, in bytes (`PRAGMA max_page_count` in the file's page size). */
  maxDbBytes?: number;
  /**
   * The WAL's share of the disk bound, in bytes: checkpointed automatically at half of it
   * (`wal_autocheckpoint`), truncated to it when it is reset (`journal_size_limit`).
   */
  walBytes?: number;
  /**
   * Check the file at open (`PRAGMA quick_check`); a file that fails it, or that SQLite cannot read
   * at all, is moved aside (`edge.db.damaged-<time>`) and an empty store is started in its place.
   */
  repair?: { logger: Logger };
}

/** Opens the node's one SQLite file (WAL, synchronous=NORMAL, migrated; see src/core/sqlite). */
export function openDatabase(file: string, options: EdgeDbOptions = {}): Db {
  if (!options.repair || file === ':memory:') return configure(openPlain(file), options);
  let db: Db | undefined;
  try {
    db = openPlain(file);
    const problem = quickCheck(db);
    if (problem === undefined) return configure(db, options);
    db.close();
    db = undefined;
    throw Object.assign(new Error(`quick_check: ${problem}`), { code: 'SQLITE_CORRUPT' });
  } catch (err) {
    db?.close();
    const cause = (err as { cause?: unknown }).cause ?? err;
    if (!isCorrupt(err) && !isCorrupt(cause)) throw err;
    const movedTo = moveAside(file);
    options.repair.logger.error(
      { code: 'KEDGE_STORE_DAMAGED', file, movedTo, reason: (cause as Error).message },
      `${file} is damaged (${(cause as Error).message}): moved aside to ${movedTo}; starting with an empty store (the cloud sends this node's devices and desired values again)`,
    );
    return configure(openPlain(file), options);
  }
}

/**
 * The edge file's page size. Every commit writes each page it changed to the WAL whole, and the
 * hot path's commits change a few pages each (the outbox's last page, the journal's, page 1, the
 * free list): with 16 KB pages a commit wrote 4 x the bytes. 4 KB is the file system's block (a
 * smaller page is written as a whole block anyway: 1 KB pages measured more bytes per reading,
 * bench/RESULTS.md "SD card writes").
 */
export const EDGE_PAGE_SIZE = 4096;
/** A file with other pages is converted at open (VACUUM) when it is at most this large; a larger one keeps its pages. */
const CONVERT_UP_TO_BYTES = 64 * 1024 * 1024;

function openPlain(file: string): Db {
  const db = openSqlite(file, {
    pageSize: EDGE_PAGE_SIZE,
    migrations,
    openError: (f, cause) =>
      storeErrors.create('KEDGE_STORE_OPEN', `cannot open ${f}: ${(cause as Error).message}`, { cause }),
    migrationError: (version, cause) =>
      storeErrors.create('KEDGE_STORE_MIGRATION', `migration ${version} failed: ${(cause as Error).message}`, {
        cause,
      }),
  });
  if (file !== ':memory:') convertPageSize(db);
  return db;
}

/**
 * A file made with other pages (16 KB before issue 19) gets EDGE_PAGE_SIZE: the page size of a
 * WAL file changes only by leaving WAL mode and rewriting the file (VACUUM, about its size again
 * in free space and a few seconds per 10 MB on an SD card), so only a file up to
 * CONVERT_UP_TO_BYTES is converted; a larger one (a long outage's outbox) keeps its pages and is
 * converted at a later start.
 */
function convertPageSize(db: Db): void {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  if (pageSize === EDGE_PAGE_SIZE || pages * pageSize > CONVERT_UP_TO_BYTES) return;
  db.pragma('journal_mode = DELETE');
  db.pragma(`page_size = ${EDGE_PAGE_SIZE}`);
  db.exec('VACUUM');
  db.pragma('journal_mode = WAL');
}

/** The first problem `quick_check` names, or undefined for a sound file. */
function quickCheck(db: Db): string | undefined {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const first = rows[0]?.quick_check;
  return first === 'ok' ? undefined : (first ?? 'no answer');
}

function configure(db: Db, o: EdgeDbOptions): Db {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  if (o.maxDbBytes !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(o.maxDbBytes / pageSize))}`);
  if (o.walBytes !== undefined) db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(o.walBytes / 2 / pageSize))}`);
  if (o.walBytes !== undefined) db.pragma(`journal_size_limit = ${Math.max(0, Math.floor(o.walBytes))}`);
  return db;
}

/** A database opened later (by the store module's start()), reachable by the stores built before. */
export class DbHandle {
  private current: Db | undefined;

  constructor(
    readonly file: string,
    private options: EdgeDbOptions = {},
  ) {}

  /** Options for the next open() (the disk bound's share is known only just before). */
  configure(options: EdgeDbOptions): void {
    this.options = { ...this.options, ...options };
  }

  get db(): Db {
    if (!this.current) throw storeErrors.create('KEDGE_STORE_CLOSED', `store ${this.file} is not open`);
    return this.current;
  }

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  open(): Db {
    this.current ??= openDatabase(this.file, this.options);
    return this.current;
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}
