import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';

/** One numbered schema step. Never edit a released one; append a new one. */
export interface Migration {
  version: number;
  sql: string;
}

/** The page size of a newly created file; an existing file keeps the size it was created with. */
export const PAGE_SIZE = 16_384;

export interface OpenSqliteOptions {
  migrations: readonly Migration[];
  /** The owning store's error for a file that cannot be opened (names the file). */
  openError: (file: string, cause: unknown) => Error;
  /** The owning store's error for a failed migration. */
  migrationError: (version: number, cause: unknown) => Error;
  /** Page size of a new file (default PAGE_SIZE). */
  pageSize?: number;
}

/**
 * Opens a store's SQLite file (the edge node's and the cloud's alike) and brings its schema up to
 * date. WAL with synchronous=NORMAL: a process crash (kill -9) loses nothing committed; a power
 * cut may lose the last commits but never corrupts the file. That is the trade-off SD cards need.
 */
export function openSqlite(file: string, options: OpenSqliteOptions): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (err) {
    throw options.openError(file, err);
  }
  try {
    // 16 KB pages for a new file by default (SQLite ignores this for a file that has pages already): a telemetry
    // batch in the outbox is a row of ~400 KB, and with 4 KB pages each commit wrote and linked four
    // times as many overflow pages. Measured: 3.3-3.9 -> 1.8-2.1 ms CPU per commit of 5,000 readings;
    // single small-row commits the same (bench/RESULTS.md, "End to end"). The edge's file, on an SD
    // card, takes 4 KB pages (src/edge/store/db.ts).
    db.pragma(`page_size = ${options.pageSize ?? PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations, options.migrationError);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Runs the steps newer than the file's `user_version`, each in its own transaction together with
 * the bump of `user_version`, so a crash leaves the old or the new schema, never half of one.
 * Returns the version the file is at.
 */
export function migrate(
  db: Db,
  migrations: readonly Migration[],
  migrationError: OpenSqliteOptions['migrationError'],
): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw migrationError(m.version, err);
    }
  }
  return db.pragma('user_version', { simple: true }) as number;
}
