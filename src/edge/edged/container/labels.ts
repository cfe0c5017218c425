import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../core/json/index.js';
import type { ContainerSpec } from './engine.js';

/**
 * Labels on every container Edged creates. The engine keeps them, so they are Edged's memory
 * across restarts: which node and workload a container belongs to, the spec it was made from
 * (a changed spec means a new container) and, for Pods, its restart count.
 */
export const LABEL = {
  node: 'io.kedge.node',
  /** `mapper` or `pod`. */
  kind: 'io.kedge.kind',
  /** Mapper workload name, or `<namespace>/<pod>` for a Pod. */
  owner: 'io.kedge.owner',
  podUid: 'io.kedge.pod-uid',
  container: 'io.kedge.container',
  hash: 'io.kedge.spec-hash',
  /** How many times this container was restarted before (Kubernetes' restartCount). */
  restarts: 'io.kedge.restarts',
} as const;

/** A hash of what a container is made from (its labels aside). */
export function specHash(spec: Omit<ContainerSpec, 'labels' | 'name'>): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

/** Engine container names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; kedge names are DNS names already. */
export function containerName(...parts: string[]): string {
  return ['kedge', ...parts].join('_').replace(/[^a-zA-Z0-9_.-]/g, '-');
}
