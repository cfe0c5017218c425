import type { MapperStatusContent, NodeView } from '../../contracts/index.js';
import type { StoredObject } from '../store/index.js';

/**
 * An edge node as a core/v1 Node, shaped as KubeEdge's are: the edge role labels, a Ready
 * condition driven by the link (True while connected; Unknown, "EdgeDisconnected", when the link
 * is lost), a NoSchedule taint that keeps DaemonSets and the scheduler's Pods away (kedge's Edged
 * runs the Pods bound to the node by `spec.nodeName`, not kube-proxy or a CNI agent), and room
 * for as many Pods as a kubelet's default (110). kedge's
 * own facts travel in annotations, since a Node's spec and status have fixed fields: the mapper
 * workloads the node should run (`kedge.io/mappers`) and what it reported of them
 * (`kedge.io/mapper-status`).
 */
export const EDGE_ROLE_LABEL = 'node-role.kubernetes.io/edge';
/** Pods a node takes: the kubelet's default maxPods (Edged sets no limit of its own). */
const PODS = '110';
export const MAPPERS_ANNOTATION = 'kedge.io/mappers';
export const MAPPER_STATUS_ANNOTATION = 'kedge.io/mapper-status';

export interface NodeState {
  ready: boolean;
  reason?: string;
  lastHeartbeat: number | undefined;
  /** When Ready last changed. */
  transitionAt?: number;
  connectedAt?: number;
  mappers: Map<string, MapperStatusContent>;
}

export type WantedMapper = { name: string; protocols: string[] };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** metav1.Time: RFC 3339 in whole seconds. */
export const kubeTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function newNode(name: string, mappers: WantedMapper[], state: NodeState, version: string): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      namespace: '',
      labels: {
        [EDGE_ROLE_LABEL]: '',
        'node-role.kubernetes.io/agent': '',
        'kubernetes.io/hostname': name,
      },
      annotations: mapperAnnotations(mappers, state),
    },
    spec: { taints: [{ key: EDGE_ROLE_LABEL, effect: 'NoSchedule' }] },
    status: statusOf(state, undefined, version),
  };
}

export function mapperAnnotations(mappers: WantedMapper[], state: NodeState): Record<string, string> {
  const reported = [...state.mappers.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { [MAPPERS_ANNOTATION]: JSON.stringify(mappers), [MAPPER_STATUS_ANNOTATION]: JSON.stringify(reported) };
}

/**
 * The Node with kedge's annotations as they should be; undefined when they already are. Without
 * `reported` (a replica that does not hold the node), the stored mapper status is kept.
 */
export function withMapperAnnotations(
  node: StoredObject,
  mappers: WantedMapper[],
  reported: NodeState | undefined,
): StoredObject | undefined {
  const current = node.metadata.annotations ?? {};
  const all = mapperAnnotations(mappers, reported ?? { ready: false, lastHeartbeat: undefined, mappers: new Map() });
  const wanted = reported ? all : { [MAPPERS_ANNOTATION]: all[MAPPERS_ANNOTATION] as string };
  if (Object.entries(wanted).every(([k, v]) => current[k] === v)) return undefined;
  return { ...node, metadata: { ...node.metadata, annotations: { ...current, ...wanted } } };
}

/**
 * The Node status to write: the Ready condition from the link, other conditions (written by
 * others, e.g. the node lifecycle controller) and fields kept.
 */
export function statusOf(state: NodeState, existing: unknown, version: string): Record<string, unknown> {
  const base = isObject(existing) ? { ...existing } : {};
  const others = (Array.isArray(base.conditions) ? (base.conditions as Condition[]) : []).filter(
    (c) => c.type !== 'Ready',
  );
  const previous = (Array.isArray(base.conditions) ? (base.conditions as Condition[]) : []).find(
    (c) => c.type === 'Ready',
  );
  const status = state.ready ? 'True' : 'Unknown';
  const transition = state.transitionAt ?? state.lastHeartbeat ?? 0;
  const ready: Condition = {
    type: 'Ready',
    status,
    reason: state.ready ? 'EdgeReady' : 'EdgeDisconnected',
    message: state.ready ? 'the edge is connected to the cloud' : (state.reason ?? 'the edge is not connected'),
    ...(state.lastHeartbeat === undefined ? {} : { lastHeartbeatTime: kubeTime(state.lastHeartbeat) }),
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : kubeTime(transition),
  };
  return {
    ...base,
    capacity: { ...(isObject(base.capacity) ? base.capacity : {}), pods: PODS },
    allocatable: { ...(isObject(base.allocatable) ? base.allocatable : {}), pods: PODS },
    conditions: [...others, ready],
    nodeInfo: { ...NODE_INFO, ...(isObject(base.nodeInfo) ? base.nodeInfo : {}), kubeletVersion: `kedge-v${version}` },
  };
}

const NODE_INFO = Object.fromEntries(
  [
    'machineID',
    'systemUUID',
    'bootID',
    'kernelVersion',
    'osImage',
    'containerRuntimeVersion',
    'kubeProxyVersion',
    'operatingSystem',
    'architecture',
  ].map((k) => [k, '']),
);

/** What a Node says of its edge (after a cloud restart: where the state starts from). */
export function stateFromNode(node: StoredObject | undefined): NodeState {
  const state: NodeState = { ready: false, lastHeartbeat: undefined, mappers: new Map() };
  if (!node) return state;
  const status = (node.status ?? {}) as { conditions?: Condition[] };
  const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) {
    state.ready = ready.status === 'True';
    if (!state.ready && ready.message) state.reason = ready.message;
    const hb = Date.parse(ready.lastHeartbeatTime ?? '');
    if (Number.isFinite(hb)) state.lastHeartbeat = hb;
    const tr = Date.parse(ready.lastTransitionTime ?? '');
    if (Number.isFinite(tr)) state.transitionAt = tr;
  }
  for (const m of parseList<MapperStatusContent>(node.metadata.annotations?.[MAPPER_STATUS_ANNOTATION]))
    if (m && typeof m.name === 'string') state.mappers.set(m.name, m);
  return state;
}

export function wantedMappersOf(node: StoredObject): WantedMapper[] {
  return parseList<WantedMapper>(node.metadata.annotations?.[MAPPERS_ANNOTATION]).filter(
    (m) => m && typeof m.name === 'string' && Array.isArray(m.protocols),
  );
}

/** The API's node: the mappers it should run joined with what it reported. */
export function nodeView(node: StoredObject, state: NodeState): NodeView {
  const wanted = wantedMappersOf(node);
  const names = new Set([...wanted.map((m) => m.name), ...state.mappers.keys()]);
  const mappers = [...names].sort().map((name) => {
    const w = wanted.find((m) => m.name === name);
    const s = state.mappers.get(name);
    return {
      name,
      protocols: w?.protocols ?? s?.protocols ?? [],
      ...(s
        ? { phase: s.phase, ready: s.ready, restarts: s.restarts, ...(s.reason ? { reason: s.reason } : {}) }
        : { phase: 'Pending' as const }),
    };
  });
  return {
    name: node.metadata.name,
    ready: state.ready,
    ...(!state.ready && state.reason ? { reason: state.reason } : {}),
    ...(state.connectedAt ? { connectedAt: new Date(state.connectedAt).toISOString() } : {}),
    lastHeartbeat: state.lastHeartbeat === undefined ? null : new Date(state.lastHeartbeat).toISOString(),
    mappers,
  };
}

function parseList<T>(text: string | undefined): T[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
