import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import { cloudStoreErrors } from './errors.js';
import { migrate } from './migrations.js';

/**
 * Opens the cloud's SQLite file. WAL with synchronous=NORMAL: a process crash loses nothing
 * committed; a power cut may lose the last commits but never corrupts the file.
 */
export function openCloudDatabase(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (err) {
    throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_OPEN', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
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
