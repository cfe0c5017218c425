import type { Database as Db } from 'better-sqlite3';
import { openSqlite } from '../../core/sqlite/index.js';
import { cloudStoreErrors } from './errors.js';
import { migrations } from './migrations.js';

/** Opens the cloud's SQLite file (WAL, synchronous=NORMAL, migrated; see src/core/sqlite). */
export function openCloudDatabase(file: string): Db {
  return openSqlite(file, {
    migrations,
    openError: (f, cause) =>
      cloudStoreErrors.create('KEDGE_CLOUD_STORE_OPEN', `cannot open ${f}: ${(cause as Error).message}`, { cause }),
    migrationError: (version, cause) =>
      cloudStoreErrors.create(
        'KEDGE_CLOUD_STORE_MIGRATION',
        `cloud store migration ${version} failed: ${(cause as Error).message}`,
        { cause },
      ),
  });
}
