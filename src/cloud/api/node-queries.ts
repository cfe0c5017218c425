import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeQueryName } from '../../contracts/index.js';
import { readJson, sendJson, sendText } from './http.js';
import type { RouteContext } from './routes.js';
import { sendCallError } from './services.js';

/**
 * Questions the cloud asks an edge node over the link (docs/link.md "Edge queries"), for the
 * dashboard and for Prometheus: the node's status, its /metrics (with its mappers'), and OPC UA
 * browsing from the plant network. The edge's local API serves the same paths for a standalone
 * gateway (src/edge/api/routes.ts).
 */
export interface NodeRoute {
  method: string;
  /** Under `/api/v1/nodes/<node>/`. */
  path: string;
  handler(
    ctx: RouteContext,
    req: IncomingMessage,
    res: ServerResponse,
    node: string,
    query: URLSearchParams,
  ): Promise<void>;
}

/** How long the API waits for a node's answer. */
const STATUS_MS = 5_000;
const METRICS_MS = 10_000;
const BROWSE_MS = 30_000;

async function ask(
  ctx: RouteContext,
  res: ServerResponse,
  node: string,
  query: EdgeQueryName,
  params: unknown,
  timeoutMs: number,
): Promise<unknown | undefined> {
  try {
    return await ctx.bus.request('edge.query', { node, query, params, timeoutMs }, timeoutMs + 5_000);
  } catch (err) {
    if (sendCallError(res, err)) return undefined;
    throw err;
  }
}

export const nodeQueryRoutes: NodeRoute[] = [
  {
    method: 'GET',
    path: 'status',
    handler: async (c, _req, res, node) => {
      const status = await ask(c, res, node, 'node.status', {}, STATUS_MS);
      if (status !== undefined) sendJson(res, 200, status);
    },
  },
  {
    method: 'GET',
    path: 'metrics',
    handler: async (c, _req, res, node) => {
      const text = await ask(c, res, node, 'metrics', {}, METRICS_MS);
      if (text !== undefined) sendText(res, 200, String(text), 'text/plain; version=0.0.4; charset=utf-8');
    },
  },
  {
    method: 'POST',
    path: 'opcua/browse',
    handler: async (c, req, res, node) => {
      const params = await readJson(req, c.bodyLimitBytes);
      const answer = await ask(c, res, node, 'opcua.browse', params, BROWSE_MS);
      if (answer !== undefined) sendJson(res, 200, answer);
    },
  },
];
