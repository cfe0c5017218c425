import type { Database } from 'better-sqlite3';
import { errorText } from '../../core/errors/index.js';
import { openSqlite } from '../../core/sqlite/index.js';
import { cloudPkiErrors } from './errors.js';

/**
 * Join tokens and issued certificates live in their own file next to the CA (`<data-dir>/pki/pki.db`),
 * not in the object store: they stay with the CA whichever store holds the objects.
 */
const MIGRATIONS = [
  {
    version: 1,
    sql: `
      CREATE TABLE pki_tokens (
        id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL, expires_at INTEGER NOT NULL,
        uses_left INTEGER NOT NULL, description TEXT, created_at INTEGER NOT NULL);
      CREATE TABLE pki_certs (
        serial TEXT PRIMARY KEY, node TEXT NOT NULL, issued_at INTEGER NOT NULL,
        not_after INTEGER NOT NULL, revoked_at INTEGER);
      CREATE INDEX pki_certs_node ON pki_certs (node);`,
  },
] as const;

export function openPkiDatabase(file: string): Database {
  return openSqlite(file, {
    migrations: MIGRATIONS,
    openError: (f, cause) => cloudPkiErrors.create('KEDGE_PKI_CA', `cannot open ${f}: ${errorText(cause)}`, { cause }),
    migrationError: (v, cause) =>
      cloudPkiErrors.create('KEDGE_PKI_CA', `cannot prepare the PKI tables (step ${v}): ${errorText(cause)}`, {
        cause,
      }),
  });
}
