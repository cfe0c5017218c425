import { apiErrors, type EdgeChannels, type EdgeRequests, type NodeView } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Route } from './routes.js';

/**
 * The node paths of the cloud API (src/cloud/api/node-queries.ts) answered by this node itself,
 * so that the dashboard works the same on a standalone gateway: the node list is this node.
 */
export function nodeRoutes(bus: Bus<EdgeChannels, EdgeRequests>, node: string): Route[] {
  const mine = (name: string | undefined) => {
    if (name !== node) throw apiErrors.create('KEDGE_API_NOT_FOUND', `this edge is node ${node}, not ${name}`);
  };
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/nodes$/,
      handle: async () => {
        const status = await bus.request('node.status', {});
        const view: NodeView = {
          name: node,
          ready: true,
          lastHeartbeat: new Date().toISOString(),
          mappers: status.mappers.map((m) => ({
            name: m.name,
            protocols: m.protocols,
            phase: m.phase,
            ready: m.ready,
            restarts: m.restarts,
            ...(m.reason ? { reason: m.reason } : {}),
          })),
        };
        return { items: [view] };
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/nodes\/([^/]+)\/status$/,
      handle: async ([name]) => {
        mine(name);
        return bus.request('node.status', {});
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/nodes\/([^/]+)\/metrics$/,
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      handle: async ([name]) => {
        mine(name);
        return bus.request('metrics.page', {});
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/nodes\/([^/]+)\/opcua\/browse$/,
      handle: async ([name], body) => {
        mine(name);
        return bus.request('opcua.browse', body, 30_000);
      },
    },
  ];
}
