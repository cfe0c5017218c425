import type { Database as Db } from 'better-sqlite3';
import { openSqlite } from '../../core/sqlite/index.js';
import { storeErrors } from './errors.js';
import { migrations } from './migrations.js';

/** Opens the node's one SQLite file (WAL, synchronous=NORMAL, migrated; see src/core/sqlite). */
export function openDatabase(file: string): Db {
  return openSqlite(file, {
    migrations,
    openError: (f, cause) =>
      storeErrors.create('KEDGE_STORE_OPEN', `cannot open ${f}: ${(cause as Error).message}`, { cause }),
    migrationError: (version, cause) =>
      storeErrors.create('KEDGE_STORE_MIGRATION', `migration ${version} failed: ${(cause as Error).message}`, {
        cause,
      }),
  });
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
