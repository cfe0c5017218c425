/**
 * Where each kind of the store lives in the Kubernetes API. Devices, models and statuses are
 * KubeEdge's custom resources (deploy/crds); nodes and their heartbeats are core/v1 Nodes and
 * coordination.k8s.io/v1 Leases, as KubeEdge's edge nodes are; the edge applications Edged runs
 * are core/v1 Pods bound to those Nodes.
 */
export interface KubeKind {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const KEDGE_KINDS: readonly KubeKind[] = [
  { kind: 'Device', group: 'devices.kubeedge.io', version: 'v1beta1', plural: 'devices', namespaced: true },
  { kind: 'DeviceModel', group: 'devices.kubeedge.io', version: 'v1beta1', plural: 'devicemodels', namespaced: true },
  {
    kind: 'DeviceStatus',
    group: 'devices.kubeedge.io',
    version: 'v1beta1',
    plural: 'devicestatuses',
    namespaced: true,
  },
  { kind: 'Node', group: '', version: 'v1', plural: 'nodes', namespaced: false },
  { kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true },
];

export const apiVersionOf = (k: KubeKind): string => (k.group ? `${k.group}/${k.version}` : k.version);

/** `/apis/<group>/<version>` or `/api/v1`. */
export const groupVersionPath = (k: KubeKind): string =>
  k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;

/** The collection: across namespaces when `namespace` is undefined (or the kind is cluster-scoped). */
export function collectionPath(k: KubeKind, namespace?: string): string {
  const ns = k.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(k)}${ns}/${k.plural}`;
}

export function objectPath(k: KubeKind, namespace: string, name: string, subresource?: string): string {
  return `${collectionPath(k, k.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}
