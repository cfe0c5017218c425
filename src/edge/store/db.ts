import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import { storeErrors } from './errors.js';
import { migrate } from './migrations.js';

/**
 * Opens the node's one SQLite file. WAL with synchronous=NORMAL: a commit is not fsynced until the
 * next checkpoint, so a power cut may lose the last commits but never corrupts the file, and a
 * process crash (kill -9) loses nothing committed. That is the trade-off SD cards need.
 */
export function openDatabase(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (err) {
    throw storeErrors.create('KEDGE_STORE_OPEN', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** A database opened later (by the store module's start()), reachable by the stores built before. */
export class DbHandle {
  private current: Db | undefined;

  constructor(readonly file: string) {}

  get db(): Db {
    if (!this.current) throw storeErrors.create('KEDGE_STORE_CLOSED', `store ${this.file} is not open`);
    return this.current;
  }

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  open(): Db {
    this.current ??= openDatabase(this.file);
    return this.current;
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}
