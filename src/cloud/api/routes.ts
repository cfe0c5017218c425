import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import {
  type CloudChannels,
  type CloudRequests,
  apiErrors,
  readJson,
  sendJson,
  sendText,
  TokenCreateSchema,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { ObjectStore } from '../store/index.js';
import { applyDocuments, validateBody } from './apply.js';
import { withAvailability } from './availability.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { withDeviceStatus } from './device-status.js';
import { importDevices } from './import.js';
import { nodeQueryRoutes } from './node-queries.js';
import { streamPodLogs } from './pod-logs.js';
import { parseServiceCall } from './services.js';
import { checker } from '../../core/schema/index.js';
import { isKedgeError } from '../../core/errors/index.js';
import { cloudPkiErrors } from '../pki/index.js';

const checkTokenCreate = checker(TokenCreateSchema, 'body');

/** A request the CA serves: on the insecure link there is none, which the caller hears in words. */
async function withPki<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isKedgeError(err) && err.code === 'KEDGE_BUS_NO_HANDLER')
      throw cloudPkiErrors.create('KEDGE_PKI_DISABLED', 'this cloud runs the insecure link (--insecure-link)');
    throw err;
  }
}

export interface RouteContext {
  bus: Bus<CloudChannels, CloudRequests>;
  store: ObjectStore;
  registry: Registry;
  bodyLimitBytes: number;
  maxWaitMs: number;
}

type Handler = (
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  query: URLSearchParams,
) => Promise<void>;

const NAME = '([a-z0-9]([-a-z0-9.]*[a-z0-9])?)';
const routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];
const route = (method: string, path: string, handler: Handler) =>
  routes.push({ method, pattern: new RegExp(`^${path.replace(/:ns|:name/g, NAME)}$`), handler });

route('GET', '/healthz', async (_c, _q, res) => sendText(res, 200, 'ok'));
for (const r of dashboardRoutes) route(r.method, r.path, (c, req, res) => r.handler(c, req, res));
route('GET', '/metrics', async (c, _q, res) => sendText(res, 200, await c.registry.metrics(), c.registry.contentType));
route('POST', '/api/v1/apply', async (c, req, res) =>
  sendJson(res, 200, await applyDocuments(c.store, await readJson(req, c.bodyLimitBytes))),
);
route('POST', '/api/v1/validate', async (c, req, res) =>
  sendJson(res, 200, await validateBody(c.store, await readJson(req, c.bodyLimitBytes))),
);
route('POST', '/api/v1/import/devices', async (c, req, res) =>
  sendJson(res, 200, await importDevices(c.store, await readJson(req, c.bodyLimitBytes))),
);
route('GET', '/api/v1/nodes', async (c, _q, res) =>
  sendJson(res, 200, { items: await c.bus.request('nodes.list', {}) }),
);
route('POST', '/api/v1/nodes/:name/services', async (c, req, res, p) => {
  const call = parseServiceCall(p[0]!, await readJson(req, c.bodyLimitBytes), c.maxWaitMs);
  // CloudHub's own timeout fires first, with its code; the bus limit only guards against a bug.
  // A failed call answers with its error's status: the edge's (403 allow-list, 504 timeout, 502
  // target down, 413 too large) or CloudHub's own (503 not connected, 429 too many calls).
  sendJson(res, 200, await c.bus.request('servicebus.call', call, call.timeoutMs + 5_000));
});
for (const r of nodeQueryRoutes)
  route(r.method, `/api/v1/nodes/:name/${r.path}`, (c, req, res, p, q) => r.handler(c, req, res, p[0]!, q));
route('GET', '/api/v1/devices', async (c, _q, res) => {
  const [devices, nodes] = await Promise.all([c.store.list('Device'), c.bus.request('nodes.list', {})]);
  sendJson(res, 200, { items: withAvailability(await withDeviceStatus(c.store, devices.items), nodes) });
});
route('GET', '/api/v1/devicemodels', async (c, _q, res) =>
  sendJson(res, 200, { items: (await c.store.list('DeviceModel')).items }),
);
route('GET', '/api/v1/devices/:ns/:name', async (c, _q, res, p) => {
  const device = await c.store.get('Device', p[0]!, p[2]!);
  if (!device) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Device ${p[0]}/${p[2]} does not exist`);
  const [withStatus] = await withDeviceStatus(c.store, [device]);
  sendJson(res, 200, withAvailability([withStatus!], await c.bus.request('nodes.list', {}))[0]);
});
route('GET', '/api/v1/twins/:ns/:name', async (c, _q, res, p) => {
  const twin = await c.bus.request('twin.view', { namespace: p[0]!, name: p[2]! });
  if (!twin) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Device ${p[0]}/${p[2]} does not exist`);
  sendJson(res, 200, twin);
});
route('PUT', '/api/v1/twins/:ns/:name/desired', async (c, req, res, p, q) => {
  const body = (await readJson(req, c.bodyLimitBytes)) as { properties?: unknown } | null;
  const props = body?.properties;
  if (
    !props ||
    typeof props !== 'object' ||
    Array.isArray(props) ||
    Object.values(props).some((v) => typeof v !== 'string')
  ) {
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      'body must be { "properties": { "<property>": "<value as string>" } }',
    );
  }
  const waitMs = parseWait(q.get('wait'), c.maxWaitMs);
  const twin = await c.bus.request(
    'twin.setDesired',
    { namespace: p[0]!, name: p[2]!, properties: props as Record<string, string>, waitMs },
    waitMs + 10_000,
  );
  sendJson(res, 200, twin);
});
route('POST', '/api/v1/tokens', async (c, req, res) => {
  const body = checkTokenCreate(await readJson(req, c.bodyLimitBytes));
  if (!body.ok) throw apiErrors.create('KEDGE_API_BAD_REQUEST', body.reason);
  sendJson(res, 201, await withPki(() => c.bus.request('pki.createToken', body.value)));
});
route('DELETE', '/api/v1/devices/:ns/:name', async (c, _q, res, p) => {
  const gone = await c.store.delete('Device', p[0]!, p[2]!);
  if (!gone) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Device ${p[0]}/${p[2]} does not exist`);
  sendJson(res, 200, { deleted: true });
});
route('DELETE', '/api/v1/devicemodels/:ns/:name', async (c, _q, res, p) => {
  const users = (await c.store.list('Device', { namespace: p[0]! })).items.filter(
    (d) => (d.spec as { deviceModelRef?: { name?: string } } | undefined)?.deviceModelRef?.name === p[2],
  );
  if (users.length > 0) {
    throw apiErrors.create(
      'KEDGE_API_IN_USE',
      `DeviceModel ${p[0]}/${p[2]} is used by ${users.map((d) => `${p[0]}/${d.metadata.name}`).join(', ')}`,
    );
  }
  const gone = await c.store.delete('DeviceModel', p[0]!, p[2]!);
  if (!gone) throw apiErrors.create('KEDGE_API_NOT_FOUND', `DeviceModel ${p[0]}/${p[2]} does not exist`);
  sendJson(res, 200, { deleted: true });
});

route('GET', '/api/v1/pods', async (c, _q, res) => sendJson(res, 200, { items: (await c.store.list('Pod')).items }));
route('GET', '/api/v1/pods/:ns/:name', async (c, _q, res, p) => {
  const pod = await c.store.get('Pod', p[0]!, p[2]!);
  if (!pod) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Pod ${p[0]}/${p[2]} does not exist`);
  sendJson(res, 200, pod);
});
route('GET', '/api/v1/pods/:ns/:name/log', async (c, _q, res, p, q) =>
  streamPodLogs(c.bus, c.store, res, p[0]!, p[2]!, q),
);
route('DELETE', '/api/v1/pods/:ns/:name', async (c, _q, res, p) => {
  const gone = await c.store.delete('Pod', p[0]!, p[2]!);
  if (!gone) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Pod ${p[0]}/${p[2]} does not exist`);
  sendJson(res, 200, { deleted: true });
});

/**
 * A Node leaves the cloud's list only when nothing brings it back at once: refused while a Device
 * names it (EdgeController would register it again for its mappers) and while it is connected
 * (it registers again, as a kubelet does); the edge's own data is not touched.
 */
/**
 * Deletes a node. On the secure link every certificate issued to it is revoked first, whatever
 * else: its link closes at once and its reconnects and renewals are refused. Its Node object goes
 * unless Devices name it (then it stays, said in `kept`; on the lab link that is refused, as is a
 * connected node, which would register again).
 */
route('DELETE', '/api/v1/nodes/:name', async (c, _q, res, p) => {
  const node = p[0]!;
  const { revoked } = await withPki(() => c.bus.request('pki.revokeNode', { node })).catch((err: unknown) => {
    if (isKedgeError(err) && err.code === 'KEDGE_PKI_DISABLED') return { revoked: 0 };
    throw err;
  });
  const users = (await c.store.list('Device')).items.filter(
    (d) => (d.spec as { nodeName?: unknown } | undefined)?.nodeName === node,
  );
  if (users.length > 0) {
    const names = users.map((d) => `${d.metadata.namespace ?? 'default'}/${d.metadata.name}`);
    const why = `Node ${node} is named by ${names.length} Device(s): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}; delete them or set another spec.nodeName first`;
    if (revoked > 0) return sendJson(res, 200, { deleted: false, revoked, kept: why });
    throw apiErrors.create('KEDGE_API_IN_USE', why);
  }
  const view = (await c.bus.request('nodes.list', {})).find((n) => n.name === node);
  if (view?.ready && revoked === 0)
    throw apiErrors.create(
      'KEDGE_API_IN_USE',
      `Node ${node} is connected and would register again; stop its edge (kedge edge --node ${node}) first`,
    );
  const gone = await c.store.delete('Node', '', node);
  if (!gone && revoked === 0) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Node ${node} does not exist`);
  sendJson(res, 200, { deleted: gone, revoked });
});

/** `?wait=5000` (ms) or `?wait=5s`; capped. */
function parseWait(raw: string | null, max: number): number {
  if (raw === null || raw === '') return 0;
  const m = /^(\d+)(ms|s)?$/.exec(raw);
  if (!m)
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      `wait=${raw}: expected milliseconds (e.g. wait=5000) or seconds (wait=5s)`,
    );
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  return Math.min(ms, max);
}

export async function dispatch(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== req.method) continue;
    await r.handler(ctx, req, res, m.slice(1), url.searchParams);
    return;
  }
  if (pathMatched) throw apiErrors.create('KEDGE_API_BAD_REQUEST', `${req.method} is not allowed on ${path}`);
  throw apiErrors.create('KEDGE_API_NOT_FOUND', `no such path: ${req.method} ${path}`);
}
