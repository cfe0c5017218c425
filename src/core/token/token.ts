import { timingSafeEqual } from 'node:crypto';
import { fstatSync, openSync, closeSync, readFileSync } from 'node:fs';
import { defineErrors, errorText } from '../errors/index.js';

export const tokenErrors = defineErrors({
  KEDGE_TOKEN_FILE:
    'The token file must be readable and hold one token of at least 16 characters (e.g. `openssl rand -hex 32 > token`); give the cloud and every edge node the same file.',
});

/** The smallest token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads a shared link token (surrounding whitespace ignored); throws KEDGE_TOKEN_FILE naming the
 * file. A file every user of the machine may read hands the token to all of them: `warn` hears
 * about it (the token still works, so a running setup is not broken by an upgrade).
 */
export function readTokenFile(file: string, warn?: (message: string) => void): string {
  let text: string;
  let mode: number;
  try {
    const fd = openSync(file, 'r');
    try {
      mode = fstatSync(fd).mode;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw tokenErrors.create('KEDGE_TOKEN_FILE', `cannot read the token file ${file}: ${errorText(err)}`, {
      cause: err,
    });
  }
  const worldReadable = worldReadableWarning(file, mode);
  if (worldReadable) warn?.(worldReadable);
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw tokenErrors.create(
      'KEDGE_TOKEN_FILE',
      `the token file ${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces (it holds ${token.length} characters)`,
    );
  }
  return token;
}

/** What to say about a token file every user may read (mode o+r), or undefined when it is private enough. */
export function worldReadableWarning(file: string, mode: number): string | undefined {
  if ((mode & 0o004) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `the token file ${file} is readable by every user of this machine (mode ${octal}); make it private: chmod 600 ${file}`;
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
