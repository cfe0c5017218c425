import type { IncomingMessage, ServerResponse } from 'node:http';
import { BROWSE_FIRST_REQUEST_MS, type EdgeQueryName, readJson, sendJson, sendText } from '../../contracts/index.js';
import type { RouteContext } from './routes.js';

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
/** Past the node's own bound for a first browse (it answers KEDGE_OPCUABROWSE_TIMEOUT itself). */
const BROWSE_MS = BROWSE_FIRST_REQUEST_MS + 5_000;

/** The node's answer; a failure throws with its status (the edge's, or CloudHub's own). */
function ask(ctx: RouteContext, node: string, query: EdgeQueryName, params: unknown, timeoutMs: number) {
  return ctx.bus.request('edge.query', { node, query, params, timeoutMs }, timeoutMs + 5_000);
}

export const nodeQueryRoutes: NodeRoute[] = [
  {
    method: 'GET',
    path: 'status',
    handler: async (c, _req, res, node) => {
      sendJson(res, 200, await ask(c, node, 'node.status', {}, STATUS_MS));
    },
  },
  {
    method: 'GET',
    path: 'metrics',
    handler: async (c, _req, res, node) => {
      const text = await ask(c, node, 'metrics', {}, METRICS_MS);
      sendText(res, 200, String(text), 'text/plain; version=0.0.4; charset=utf-8');
    },
  },
  {
    method: 'POST',
    path: 'opcua/browse',
    handler: async (c, req, res, node) => {
      const params = await readJson(req, c.bodyLimitBytes);
      sendJson(res, 200, await ask(c, node, 'opcua.browse', params, BROWSE_MS));
    },
  },
];
