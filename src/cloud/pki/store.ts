import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';

/** Why a token was not accepted (the client hears only "invalid"; the log and the metric hear this). */
export type TokenRefusal = 'unknown' | 'wrong_secret' | 'expired' | 'used_up';

export interface TokenRecord {
  id: string;
  expiresAt: number;
  uses: number;
  description?: string | undefined;
}

/**
 * Join tokens and issued certificates (`<data-dir>/pki/pki.db`). The secret of a
 * token is kept only as its SHA-256: the file does not let anyone join. Revoked serials are also
 * kept in memory, as every connection checks them.
 */
export class PkiStore {
  private readonly s: Record<
    'addToken' | 'token' | 'useToken' | 'addCert' | 'revoke' | 'revoked' | 'active' | 'serialsOf',
    Statement
  >;
  private readonly revokedSerials = new Set<string>();
  readonly consume: (id: string, secret: string, now: number) => TokenRefusal | undefined;

  constructor(db: Database) {
    this.s = {
      addToken: db.prepare(
        'INSERT INTO pki_tokens (id, secret_sha256, expires_at, uses_left, description, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      token: db.prepare(
        'SELECT secret_sha256 AS hash, expires_at AS expiresAt, uses_left AS usesLeft FROM pki_tokens WHERE id = ?',
      ),
      useToken: db.prepare('UPDATE pki_tokens SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0'),
      addCert: db.prepare('INSERT INTO pki_certs (serial, node, issued_at, not_after) VALUES (?, ?, ?, ?)'),
      revoke: db.prepare('UPDATE pki_certs SET revoked_at = ? WHERE node = ? AND revoked_at IS NULL'),
      revoked: db.prepare('SELECT serial FROM pki_certs WHERE revoked_at IS NOT NULL AND not_after > ?'),
      active: db.prepare(
        'SELECT serial, not_after AS notAfter FROM pki_certs WHERE node = ? AND revoked_at IS NULL AND not_after > ? ORDER BY not_after DESC LIMIT 1',
      ),
      serialsOf: db.prepare('SELECT serial FROM pki_certs WHERE node = ? AND revoked_at IS NULL'),
    };
    for (const row of this.s.revoked.all(Date.now()) as Array<{ serial: string }>)
      this.revokedSerials.add(normalSerial(row.serial));
    // One transaction: two joins racing for a token's last use cannot both get it.
    this.consume = db.transaction((id: string, secret: string, now: number): TokenRefusal | undefined => {
      const row = this.s.token.get(id) as { hash: Buffer; expiresAt: number; usesLeft: number } | undefined;
      if (!row) return 'unknown';
      if (!timingSafeEqual(row.hash, sha256(secret))) return 'wrong_secret';
      if (row.expiresAt <= now) return 'expired';
      if (row.usesLeft <= 0) return 'used_up';
      this.s.useToken.run(id);
      return undefined;
    });
  }

  addToken(t: TokenRecord & { secret: string }, now: number): void {
    this.s.addToken.run(t.id, sha256(t.secret), t.expiresAt, t.uses, t.description ?? null, now);
  }

  recordCertificate(serial: string, node: string, issuedAt: number, notAfter: number): void {
    this.s.addCert.run(serial, node, issuedAt, notAfter);
  }

  /** The node's newest certificate that is neither revoked nor expired. */
  activeCertificate(node: string, now: number): { serial: string; notAfter: number } | undefined {
    return this.s.active.get(node, now) as { serial: string; notAfter: number } | undefined;
  }

  /** Revokes every certificate issued to the node; answers how many. */
  revokeNode(node: string, now: number): number {
    const serials = (this.s.serialsOf.all(node) as Array<{ serial: string }>).map((r) => r.serial);
    this.s.revoke.run(now, node);
    for (const s of serials) this.revokedSerials.add(normalSerial(s));
    return serials.length;
  }

  isRevoked(serial: string): boolean {
    return this.revokedSerials.has(normalSerial(serial));
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Serials compare as upper-case hex without leading zeros (Node and @peculiar/x509 write them differently). */
export function normalSerial(serial: string): string {
  return serial.toUpperCase().replace(/^0+(?=.)/, '');
}
