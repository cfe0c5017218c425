import { randomBytes } from 'node:crypto';
import type { Obj } from './state.js';

/**
 * core/v1 Pods as the real API server treats them, where a client would notice: defaulting (on
 * create and update), the ServiceAccount and DefaultTolerationSeconds admission plugins (create
 * only), the status a new Pod gets, the spec that may not change but for images, and graceful
 * deletion of a Pod bound to a node (it stays, Terminating, until its kubelet deletes it with
 * grace 0). Sources: pkg/apis/core/v1/defaults.go, plugin/pkg/admission/serviceaccount,
 * pkg/registry/core/pod/strategy.go (PrepareForCreate, CheckGracefulDelete), validation.go
 * (ValidatePodUpdate).
 */
type Container = Record<string, unknown> & { image?: string; volumeMounts?: Array<Record<string, unknown>> };
type PodSpec = Record<string, unknown> & {
  containers?: Container[];
  volumes?: Array<Record<string, unknown>>;
  tolerations?: Array<Record<string, unknown>>;
  nodeName?: string;
};

const FORBIDDEN =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Defaults (SetDefaults_Pod, _PodSpec, _Container) the server fills in on every write. */
export function defaultPod(o: Obj): void {
  const spec = (o.spec ?? {}) as PodSpec;
  o.spec = spec;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of spec.containers ?? []) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    const tag =
      String(c.image ?? '')
        .split('/')
        .pop() ?? '';
    c.imagePullPolicy ??= !tag.includes(':') || tag.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  }
}

/** What admission adds to a Pod that is created: its service account's token, tolerations. */
export function admitPod(o: Obj): void {
  const spec = o.spec as PodSpec;
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken !== false) {
    const name = `kube-api-access-${randomBytes(3).toString('hex').slice(0, 5)}`;
    spec.volumes = [
      ...(spec.volumes ?? []),
      {
        name,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
              },
            },
          ],
        },
      },
    ];
    for (const c of spec.containers ?? [])
      c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: TOKEN_PATH }];
  }
  const toleration = (key: string) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  const have = new Set((spec.tolerations ?? []).map((t) => t.key));
  spec.tolerations = [
    ...(spec.tolerations ?? []),
    ...['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].filter((k) => !have.has(k)).map(toleration),
  ];
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  o.status = { phase: 'Pending', qosClass: 'BestEffort' };
}

/** ValidatePodUpdate: only images (and additional tolerations) may change; else the message. */
export function forbiddenPodUpdate(current: Obj, next: Obj): string | undefined {
  const mutable = (o: Obj) => {
    const spec = JSON.parse(JSON.stringify(o.spec ?? {})) as PodSpec;
    for (const c of spec.containers ?? []) delete c.image;
    delete spec.activeDeadlineSeconds;
    delete spec.tolerations;
    return spec;
  };
  const [before, after] = [mutable(current), mutable(next)];
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => stable(before[k]) !== stable(after[k]),
  );
  if (changed.length === 0) return undefined;
  // The real server appends a diff of the two specs; the changed fields say the same here.
  return `${FORBIDDEN} (changed: ${changed.map((k) => `spec.${k}`).join(', ')})`;
}

/**
 * CheckGracefulDelete: a Pod bound to a node and not finished waits for its kubelet (grace from
 * the delete options, else the Pod's); an unbound or finished Pod, or grace 0, goes at once.
 */
export function podGracePeriod(o: Obj, options: Obj): number {
  const spec = (o.spec ?? {}) as PodSpec;
  const phase = (o.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const asked = options.gracePeriodSeconds;
  return typeof asked === 'number' ? asked : Number(spec.terminationGracePeriodSeconds ?? 30);
}

/** JSON with object keys sorted: the server compares values, not the order a client wrote them in. */
function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Obj).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
