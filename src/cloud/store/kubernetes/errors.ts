import { cloudStoreErrors } from '../errors.js';
import { KubeApiError } from './http.js';

/**
 * An API server's answer as the store's error: the contract's codes (exists, conflict, expired,
 * not found) where the contract has them, else what the user must look at: credentials or RBAC
 * (401/403), an object the server refuses (400/415/422), or a server that does not answer.
 */
export function storeError(err: unknown, what: string, server: string): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('KEDGE_')) return err as Error;
  if (!(err instanceof KubeApiError))
    return cloudStoreErrors.create(
      'KEDGE_CLOUD_STORE_KUBE_UNREACHABLE',
      `${what}: ${server}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  const options = { cause: err, detail: { status: err.status, reason: err.reason } };
  const text = `${what}: ${err.message}`;
  if (err.status === 409 && err.reason === 'AlreadyExists')
    return cloudStoreErrors.create('KEDGE_CLOUD_STORE_EXISTS', text, options);
  const byStatus: Record<number, Parameters<typeof cloudStoreErrors.create>[0]> = {
    409: 'KEDGE_CLOUD_STORE_CONFLICT',
    410: 'KEDGE_CLOUD_STORE_EXPIRED',
    404: 'KEDGE_CLOUD_STORE_NOT_FOUND',
    401: 'KEDGE_CLOUD_STORE_KUBE_DENIED',
    403: 'KEDGE_CLOUD_STORE_KUBE_DENIED',
    400: 'KEDGE_CLOUD_STORE_KUBE_REFUSED',
    415: 'KEDGE_CLOUD_STORE_KUBE_REFUSED',
    422: 'KEDGE_CLOUD_STORE_KUBE_REFUSED',
  };
  return cloudStoreErrors.create(byStatus[err.status] ?? 'KEDGE_CLOUD_STORE_KUBE_UNREACHABLE', text, options);
}

export const isConflict = (err: unknown): boolean =>
  err instanceof KubeApiError && err.status === 409 && err.reason === 'Conflict';

export function label(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
