import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineErrors, errorText } from '../errors/index.js';

export const tokenErrors = defineErrors({
  KEDGE_TOKEN_FILE:
    'The token file must be readable and hold one token of at least 16 characters (e.g. `openssl rand -hex 32 > token`); give the cloud and every edge node the same file.',
});

/** The smallest token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** Reads a shared link token (surrounding whitespace ignored); throws KEDGE_TOKEN_FILE naming the file. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw tokenErrors.create('KEDGE_TOKEN_FILE', `cannot read the token file ${file}: ${errorText(err)}`, {
      cause: err,
    });
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw tokenErrors.create(
      'KEDGE_TOKEN_FILE',
      `the token file ${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces (it holds ${token.length} characters)`,
    );
  }
  return token;
}

/** `Authorization: Bearer <token>` as a client sends it. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** Whether an Authorization header carries `token`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
