import type { IncomingMessage } from 'node:http';
import { apiErrors } from '../../contracts/index.js';
import { bearerMatches } from '../../core/token/index.js';
import type { KedgeError } from '../../core/errors/index.js';

/**
 * The API's tokens (docs/api.md, "Tokens"): `admin` may do everything; `read` may read (GET, HEAD)
 * everything, `/metrics` included; `metrics` may only scrape `/metrics`. With no admin token the
 * API is open to whoever reaches it (it listens on 127.0.0.1 by default).
 */
export interface ApiTokens {
  admin?: string | undefined;
  read?: string | undefined;
  metrics?: string | undefined;
}

export type ApiRole = 'admin' | 'read' | 'metrics' | 'anyone';

const READS = new Set(['GET', 'HEAD']);

/** The role a request was granted, or the refusal: 401 without a known token, 403 beyond its role. */
export function checkAccess(req: IncomingMessage, tokens: ApiTokens): { role: ApiRole } | { refused: KedgeError } {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/healthz' || tokens.admin === undefined) return { role: 'anyone' };
  const auth = req.headers.authorization;
  const role: ApiRole | undefined = bearerMatches(auth, tokens.admin)
    ? 'admin'
    : tokens.read !== undefined && bearerMatches(auth, tokens.read)
      ? 'read'
      : tokens.metrics !== undefined && bearerMatches(auth, tokens.metrics)
        ? 'metrics'
        : undefined;
  const what = `${req.method} ${path}`;
  if (!role)
    return {
      refused: apiErrors.create('KEDGE_API_UNAUTHORIZED', `${what}: ${auth ? 'wrong token' : 'no token'}`),
    };
  const reads = READS.has(req.method ?? '');
  if (role === 'read' && !reads)
    return { refused: apiErrors.create('KEDGE_API_FORBIDDEN', `${what}: the read-only token may only read`) };
  if (role === 'metrics' && !(reads && path === '/metrics'))
    return { refused: apiErrors.create('KEDGE_API_FORBIDDEN', `${what}: the metrics token may only scrape /metrics`) };
  return { role };
}
