import { readFileSync, writeFileSync, mkdirSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { errorText } from '../../core/errors/index.js';
import { openSqlite } from '../../core/sqlite/index.js';
import { cloudStoreErrors } from './errors.js';
import { tokenRefusal } from './pki-token.js';
import type { IssuedCertificate, PkiStateStore, StoredCa, StoredJoinToken, TokenRefusal } from './types.js';

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

type Statements = Record<
  'addToken' | 'token' | 'useToken' | 'addCert' | 'revoke' | 'revoked' | 'active' | 'serialsOf',
  Statement
>;

/**
 * The CA's state of one cloud process in `<data-dir>/pki/`: the CA in ca.crt and ca.key (mode
 * 0600), tokens and certificates in pki.db (the files of earlier versions, read as they are).
 * Revocations are seen at once by this process's own watchers; there is no other process.
 */
export class SqlitePkiState implements PkiStateStore {
  private readonly db: Database;
  private readonly s: Statements;
  private readonly watchers = new Set<(node: string, serials: string[]) => void>();
  private readonly take: (id: string, secretSha256: string, now: number) => TokenRefusal | undefined;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.db = openSqlite(join(dir, 'pki.db'), {
      migrations: MIGRATIONS,
      openError: (f, cause) =>
        cloudStoreErrors.create('KEDGE_CLOUD_STORE_OPEN', `cannot open ${f}: ${errorText(cause)}`, { cause }),
      migrationError: (v, cause) =>
        cloudStoreErrors.create(
          'KEDGE_CLOUD_STORE_MIGRATION',
          `cannot prepare the PKI tables (step ${v}): ${errorText(cause)}`,
          {
            cause,
          },
        ),
    });
    const db = this.db;
    this.s = {
      addToken: db.prepare(
        'INSERT INTO pki_tokens (id, secret_sha256, expires_at, uses_left, description, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      token: db.prepare(
        'SELECT secret_sha256 AS hash, expires_at AS expiresAt, uses_left AS usesLeft FROM pki_tokens WHERE id = ?',
      ),
      useToken: db.prepare('UPDATE pki_tokens SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0'),
      addCert: db.prepare('INSERT INTO pki_certs (serial, node, issued_at, not_after) VALUES (?, ?, ?, ?)'),
      revoke: db.prepare('UPDATE pki_certs SET revoked_at = ? WHERE node = ? AND revoked_at IS NULL AND not_after > ?'),
      revoked: db.prepare('SELECT serial FROM pki_certs WHERE revoked_at IS NOT NULL AND not_after > ?'),
      active: db.prepare(
        'SELECT serial, not_after AS notAfter FROM pki_certs WHERE node = ? AND revoked_at IS NULL AND not_after > ? ORDER BY not_after DESC LIMIT 1',
      ),
      serialsOf: db.prepare('SELECT serial FROM pki_certs WHERE node = ? AND revoked_at IS NULL AND not_after > ?'),
    };
    // One transaction: two joins racing for a token's last use cannot both get it.
    this.take = db.transaction((id: string, secretSha256: string, now: number) => {
      const row = this.s.token.get(id) as { hash: Buffer; expiresAt: number; usesLeft: number } | undefined;
      const why = tokenRefusal(row && { ...row, secretSha256: row.hash.toString('hex') }, secretSha256, now);
      if (why === undefined) this.s.useToken.run(id);
      return why;
    });
  }

  async sharedCa(create: () => Promise<Omit<StoredCa, 'source'>>): Promise<StoredCa> {
    const certFile = join(this.dir, 'ca.crt');
    const keyFile = join(this.dir, 'ca.key');
    if (!existsSync(certFile) && !existsSync(keyFile)) {
      const made = await create();
      try {
        // The key first and private from its first byte: a crash between leaves no readable key.
        writeFileSync(keyFile, made.keyPem, { mode: 0o600, flag: 'wx' });
        writeFileSync(certFile, `${made.certPem.trim()}\n`, { mode: 0o644, flag: 'wx' });
        return { ...made, source: `created in ${this.dir}` };
      } catch (err) {
        // Made meanwhile by another call: that one is the CA.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    try {
      chmodSync(keyFile, 0o600);
    } catch {
      // read-only: keeps its own mode
    }
    return { certPem: readFileSync(certFile, 'utf8').trim(), keyPem: readFileSync(keyFile, 'utf8'), source: certFile };
  }

  async addToken(t: StoredJoinToken): Promise<void> {
    this.s.addToken.run(
      t.id,
      Buffer.from(t.secretSha256, 'hex'),
      t.expiresAt,
      t.usesLeft,
      t.description ?? null,
      t.createdAt,
    );
  }

  async useToken(id: string, secretSha256: string, now: number): Promise<TokenRefusal | undefined> {
    return this.take(id, secretSha256, now);
  }

  async recordCertificate(c: IssuedCertificate): Promise<void> {
    this.s.addCert.run(c.serial, c.node, c.issuedAt, c.notAfter);
  }

  async activeCertificate(node: string, now: number): Promise<{ serial: string; notAfter: number } | undefined> {
    return this.s.active.get(node, now) as { serial: string; notAfter: number } | undefined;
  }

  async revokeNode(node: string, now: number): Promise<string[]> {
    const serials = (this.s.serialsOf.all(node, now) as Array<{ serial: string }>).map((r) => r.serial);
    this.s.revoke.run(now, node, now);
    if (serials.length > 0) for (const w of this.watchers) w(node, serials);
    return serials;
  }

  async watchRevocations(
    now: number,
    handler: (node: string, serials: string[]) => void,
  ): Promise<{ revoked: string[]; stop(): void }> {
    const revoked = (this.s.revoked.all(now) as Array<{ serial: string }>).map((r) => r.serial);
    this.watchers.add(handler);
    return { revoked, stop: () => this.watchers.delete(handler) };
  }

  close(): void {
    this.watchers.clear();
    this.db.close();
  }
}
