import { createHash } from 'node:crypto';
import type { StoredObject } from '../store/index.js';

type Volume = { name?: unknown; projected?: { sources?: Array<Record<string, unknown>> } };
type Container = { volumeMounts?: Array<{ name?: unknown }> } & Record<string, unknown>;

/** A projected volume carrying a service-account token: what Kubernetes' admission adds to every Pod. */
const isTokenVolume = (v: Volume): boolean =>
  Array.isArray(v.projected?.sources) && v.projected.sources.some((s) => s.serviceAccountToken !== undefined);

/**
 * The Pod as its node gets it: without status, and without the service-account token volume a
 * Kubernetes API server adds to each Pod it admits (`kube-api-access-*`, with its mounts). kedge's
 * edge has no Kubernetes API for its Pods to call, so there is no token to mount; left in, the
 * node would refuse the Pod (it runs hostPath volumes only).
 */
export function podForEdge(p: StoredObject): Omit<StoredObject, 'status'> {
  const { status: _status, ...pod } = p;
  const spec = p.spec as { volumes?: Volume[]; containers?: Container[] } | undefined;
  const dropped = new Set((spec?.volumes ?? []).filter(isTokenVolume).map((v) => v.name));
  if (!spec || dropped.size === 0) return pod;
  const withoutMounts = (c: Container): Container =>
    c.volumeMounts ? { ...c, volumeMounts: c.volumeMounts.filter((m) => !dropped.has(m.name)) } : c;
  return {
    ...pod,
    spec: {
      ...spec,
      volumes: (spec.volumes ?? []).filter((v) => !dropped.has(v.name)),
      containers: (spec.containers ?? []).map(withoutMounts),
    },
  };
}

/**
 * What changes when the Pod's spec does, and when it is re-created: its generation where the API
 * server keeps one (kedge's stores; Kubernetes from 1.33), else a hash of the spec.
 */
export function podToken(p: StoredObject): string {
  const version =
    p.metadata.generation ?? createHash('sha256').update(JSON.stringify(p.spec)).digest('hex').slice(0, 16);
  return `${p.metadata.uid ?? ''}:${version}`;
}
