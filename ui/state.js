// What the page knows: the lists from the API and the live values from the event stream. Views
// read it and subscribe to changes; nothing else writes it.
import { api } from './api.js';

export const state = {
  /** NodeView[] (GET /api/v1/nodes). */
  nodes: [],
  /** node name -> EdgeNodeStatus (GET /api/v1/nodes/<node>/status), for connected nodes. */
  nodeStatus: {},
  /** Device objects with status (GET /api/v1/devices). */
  devices: [],
  /** DeviceModel objects (GET /api/v1/devicemodels). */
  models: [],
  /** device id -> { state, twin, props: { name: { value, unit, quality, reason, ts, t: [], v: [] } } }. */
  live: {},
  /** The device the Devices view shows. */
  selected: undefined,
  stream: 'connecting',
};

const listeners = new Set();

/** `fn(what)` after each change; what: 'lists' | 'live' | 'status' | 'stream'. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function changed(what, detail) {
  for (const fn of listeners) fn(what, detail);
}

export const idOf = (d) => `${d.metadata.namespace ?? 'default'}/${d.metadata.name}`;

export function modelOf(device) {
  const name = device.spec?.deviceModelRef?.name;
  const ns = device.metadata.namespace ?? 'default';
  return state.models.find((m) => m.metadata.name === name && (m.metadata.namespace ?? 'default') === ns);
}

/** The model's property (type, accessMode, unit) of a device's property. */
export function modelProperty(device, name) {
  return modelOf(device)?.spec?.properties?.find((p) => p.name === name);
}

export async function loadLists() {
  const [nodes, devices, models] = await Promise.all([
    api('GET', '/api/v1/nodes').catch(() => ({ items: [] })),
    api('GET', '/api/v1/devices'),
    api('GET', '/api/v1/devicemodels'),
  ]);
  state.nodes = nodes.items;
  state.devices = devices.items.sort((a, b) => idOf(a).localeCompare(idOf(b)));
  state.models = models.items;
  if (!state.selected || !state.devices.some((d) => idOf(d) === state.selected))
    state.selected = state.devices[0] ? idOf(state.devices[0]) : undefined;
  changed('lists');
  await loadNodeStatus();
}

/**
 * The outbox and link of every connected node (asked over the link: only ready nodes answer). A
 * node that did not answer keeps why (`{ unanswered }`): with cloud replicas, a ready node held by
 * another replica answers there only (503 KEDGE_CLOUDHUB_NOT_CONNECTED here).
 */
export async function loadNodeStatus() {
  const ready = state.nodes.filter((n) => n.ready);
  const answers = await Promise.all(
    ready.map((n) =>
      api('GET', `/api/v1/nodes/${encodeURIComponent(n.name)}/status`).catch((err) => ({
        unanswered: { code: err.code ?? 'error', message: err.message },
      })),
    ),
  );
  const next = {};
  ready.forEach((n, i) => {
    next[n.name] = answers[i];
  });
  state.nodeStatus = next;
  changed('status');
}

function device(id) {
  return (state.live[id] ??= { props: {} });
}

/** The stream's first event: everything the server has. */
export function applySnapshot(snapshot) {
  state.live = {};
  for (const [id, d] of Object.entries(snapshot.devices)) {
    const live = device(id);
    if (d.state) live.state = d.state;
    if (d.twin) live.twin = d.twin;
    for (const [name, p] of Object.entries(d.props)) live.props[name] = { ...p, t: p.t ?? [], v: p.v ?? [] };
  }
  changed('live', Object.keys(snapshot.devices));
}

const MAX_POINTS = 300;

/** A sparkline point, one per tick interval (the server's rule, so history and updates agree). */
function point(p, ts, value, tickMs) {
  const last = p.t.length - 1;
  if (last >= 0 && Math.floor(ts / tickMs) === Math.floor(p.t[last] / tickMs)) {
    p.t[last] = ts;
    p.v[last] = value;
    return;
  }
  p.t.push(ts);
  p.v.push(value);
  if (p.t.length > MAX_POINTS) {
    p.t.shift();
    p.v.shift();
  }
}

/** A tick's changes: values with their new sparkline point, states, twins. */
export function applyUpdate(update) {
  const ids = Object.keys(update.devices);
  for (const [id, d] of Object.entries(update.devices)) {
    const live = device(id);
    if (d.state) live.state = d.state;
    if (d.twin) live.twin = d.twin;
    // [value, quality, ts, reason?, unit?] (docs/api.md "Live events").
    for (const [name, [value, quality, ts, ...rest]] of Object.entries(d.props ?? {})) {
      const have = live.props[name] ?? { t: [], v: [] };
      Object.assign(have, { value, quality, ts });
      if (rest[0] === undefined || rest[0] === null) delete have.reason;
      else have.reason = rest[0];
      if (rest.length > 1) have.unit = rest[1] ?? undefined;
      if (typeof value === 'number' && quality !== 'bad') point(have, ts, value, update.tickMs ?? 1000);
      live.props[name] = have;
    }
  }
  if (ids.length > 0) changed('live', ids);
  return { nodes: Boolean(update.nodes), list: Boolean(update.list) };
}
