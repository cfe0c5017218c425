import type { MapperStatusContent, NodeView } from '../../contracts/index.js';
import type { StoredObject } from '../store/index.js';

/** What the cloud knows of one node; written to the Node object's status. */
export interface NodeState {
  ready: boolean;
  reason?: string;
  lastHeartbeat: number | undefined;
  connectedAt?: number;
  mappers: Map<string, MapperStatusContent>;
}

export function stateFromStatus(status: unknown): NodeState {
  const s = (status ?? {}) as { ready?: unknown; lastHeartbeat?: unknown; reason?: unknown; mappers?: unknown };
  const mappers = new Map<string, MapperStatusContent>();
  if (Array.isArray(s.mappers))
    for (const m of s.mappers as MapperStatusContent[]) if (m && typeof m.name === 'string') mappers.set(m.name, m);
  const hb = typeof s.lastHeartbeat === 'string' ? Date.parse(s.lastHeartbeat) : NaN;
  return {
    ready: s.ready === true,
    ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
    lastHeartbeat: Number.isFinite(hb) ? hb : undefined,
    mappers,
  };
}

export function statusOf(state: NodeState): Record<string, unknown> {
  return {
    ready: state.ready,
    ...(state.reason ? { reason: state.reason } : {}),
    lastHeartbeat: state.lastHeartbeat === undefined ? null : new Date(state.lastHeartbeat).toISOString(),
    ...(state.connectedAt ? { connectedAt: new Date(state.connectedAt).toISOString() } : {}),
    mappers: [...state.mappers.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The API's node: the mappers it should run (spec) joined with what it reported (status). */
export function nodeView(node: StoredObject, state: NodeState): NodeView {
  const wanted = (node.spec as { mappers?: Array<{ name: string; protocols: string[] }> } | undefined)?.mappers ?? [];
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
