import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type { Etcd3 } from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry, type IBackoff } from 'cockatiel';
import { etcdErrors } from './errors.js';

// etcd3 brings @grpc/grpc-js, protobufjs and @opentelemetry/api (about 250 files): it loads when a
// replica first connects to etcd, never in a cloud on SQLite or Kubernetes.
const requireLazily = createRequire(import.meta.url);
const etcd3 = (): typeof Etcd3Module => requireLazily('etcd3') as typeof Etcd3Module;

export interface EtcdConnectOptions {
  /** Member endpoints, `http://host:port`. */
  hosts: string[];
  /** Deadline of every unary request (etcd3 sets none: a partitioned member would hang a write forever). */
  requestTimeoutMs?: number;
  /** Time allowed to open a connection to a member. */
  dialTimeoutMs?: number;
}

/**
 * Parses `--store etcd://h1:2379,h2:2379` (or `etcd://h1:2379/,...`; `http://` per member is
 * accepted too) into member endpoints.
 */
export function parseEtcdUrl(url: string): string[] {
  const rest = url.startsWith('etcd://') ? url.slice('etcd://'.length) : undefined;
  if (rest === undefined || rest.trim() === '')
    throw etcdErrors.create('KEDGE_ETCD_URL', `store URL "${url}" does not start with etcd://host:port`);
  return rest.split(',').map((part) => {
    const p = part.trim().replace(/\/+$/, '');
    const hostPort = p.replace(/^https?:\/\//, '');
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(hostPort);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      throw etcdErrors.create('KEDGE_ETCD_URL', `store URL "${url}": member "${part}" is not host:port`);
    return p.startsWith('http') ? p : `http://${hostPort}`;
  });
}

/**
 * An etcd3 client whose every unary call carries a deadline. Retries stay with etcd3's policy
 * (another member on a recoverable error), bounded by the same deadline per attempt; the circuit
 * breaker skips a member after 5 failures in a row for half a second, so a killed member costs a
 * few timeouts, not one per call, while a slow (overloaded) one is soon tried again.
 */
export function connectEtcd(options: EtcdConnectOptions): Etcd3 {
  const timeout = options.requestTimeoutMs ?? 3000;
  const { Etcd3, isRecoverableError } = etcd3();
  return new Etcd3({
    hosts: options.hosts,
    dialTimeout: options.dialTimeoutMs ?? 2000,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(5) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 2 }),
      // etcd3's typing names the backoff state, but it is handed the factory (its own default).
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown>,
    },
  });
}

/** Wraps an etcd failure as KEDGE_ETCD_UNAVAILABLE naming what was being done. */
export function unavailable(what: string, err: unknown): Error {
  if ((err as { code?: unknown })?.code && String((err as { code: unknown }).code).startsWith('KEDGE_'))
    return err as Error;
  return etcdErrors.create('KEDGE_ETCD_UNAVAILABLE', `${what}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
