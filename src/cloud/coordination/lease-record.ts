import { createHash } from 'node:crypto';
import type { StoredObject } from '../store/index.js';

/**
 * coordination.k8s.io/v1 Lease records as client-go's leaderelection keeps them: the holder's
 * identity, how long its hold lasts after a renewal, when it was acquired and last renewed, and
 * how often it changed hands. Every write is an update with the resourceVersion read before
 * (the API server answers 409 to a stale one), so two replicas never both take a lease.
 */
export const LEASE_KIND = 'Lease';
export const LEASE_API_VERSION = 'coordination.k8s.io/v1';
export const ROLE_LABEL = 'kedge.io/role';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kedge' } as const;

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (the API server refuses three). */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function leaseSpec(o: StoredObject | undefined): LeaseSpec {
  const s = (o?.spec ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const spec: LeaseSpec = {};
  const holder = str(s.holderIdentity);
  if (holder !== undefined) spec.holderIdentity = holder;
  const duration = num(s.leaseDurationSeconds);
  if (duration !== undefined) spec.leaseDurationSeconds = duration;
  const acquired = str(s.acquireTime);
  if (acquired !== undefined) spec.acquireTime = acquired;
  const renewed = str(s.renewTime);
  if (renewed !== undefined) spec.renewTime = renewed;
  const transitions = num(s.leaseTransitions);
  if (transitions !== undefined) spec.leaseTransitions = transitions;
  return spec;
}

/**
 * A Lease name for `id` under `prefix`: a DNS-1123 subdomain (lower case, digits, '-' and '.',
 * at most 253 characters). An id that had to change gets a hash suffix, so that two ids never
 * map to one name.
 */
export function leaseName(prefix: string, id: string): string {
  const clean = id
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  if (`${prefix}${clean}` === `${prefix}${id}` && prefix.length + id.length <= 253) return `${prefix}${id}`;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return `${prefix}${clean.slice(0, 253 - prefix.length - 11)}-${hash}`.replace(/-+-/g, '-');
}

/**
 * When each lease was last seen to change, on this process's clock. As client-go does, a lease
 * is taken for expired only once `leaseDurationSeconds` passed on the observer's own clock since
 * its record last changed: the holder's renewTime is written by another machine's clock.
 */
export class LeaseObserver {
  private readonly seen = new Map<string, { version: string; at: number; spec: LeaseSpec }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records `lease` as read now; returns when its current record was first seen. */
  observe(lease: StoredObject): number {
    const name = lease.metadata.name;
    const version = lease.metadata.resourceVersion ?? '';
    const prev = this.seen.get(name);
    if (prev && prev.version === version) return prev.at;
    const at = this.now();
    this.seen.set(name, { version, at, spec: leaseSpec(lease) });
    return at;
  }

  forget(name: string): void {
    this.seen.delete(name);
  }

  /** Names observed, for pruning those a list no longer shows. */
  names(): string[] {
    return [...this.seen.keys()];
  }

  /** The record of `name` as last seen. */
  spec(name: string): LeaseSpec | undefined {
    return this.seen.get(name)?.spec;
  }

  /** The holder of `name` while its hold lasts, by this observer's clock; undefined otherwise. */
  holder(name: string, defaultDurationSeconds: number): string | undefined {
    const s = this.seen.get(name);
    if (!s?.spec.holderIdentity) return undefined;
    const durationMs = (s.spec.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
    return this.now() < s.at + durationMs ? s.spec.holderIdentity : undefined;
  }
}
