import { timingSafeEqual } from 'node:crypto';
import type { StoredJoinToken, TokenRefusal } from './types.js';

/** The check every PkiStateStore makes before it takes a use of a join token. */
export function tokenRefusal(
  token: Pick<StoredJoinToken, 'secretSha256' | 'expiresAt' | 'usesLeft'> | undefined,
  secretSha256: string,
  now: number,
): TokenRefusal | undefined {
  if (!token) return 'unknown';
  const want = Buffer.from(token.secretSha256, 'hex');
  const given = Buffer.from(secretSha256, 'hex');
  if (want.length !== given.length || !timingSafeEqual(want, given)) return 'wrong_secret';
  if (token.expiresAt <= now) return 'expired';
  if (token.usesLeft <= 0) return 'used_up';
  return undefined;
}
