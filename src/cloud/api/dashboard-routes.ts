import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiErrors } from '../../contracts/index.js';
import { serveAsset, sseClient } from '../../dashboard/index.js';
import type { RouteContext } from './routes.js';

/** The dashboard at the root of the API address: its page and files, and its live event stream. */
export const dashboardRoutes: Array<{
  method: string;
  path: string;
  handler(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void>;
}> = [
  { method: 'GET', path: '/', handler: asset },
  { method: 'GET', path: '/ui/[A-Za-z0-9./-]+', handler: asset },
  {
    method: 'GET',
    path: '/api/v1/events',
    handler: async (c, req, res) => {
      let detach: (() => void) | undefined;
      let closed = false;
      const client = sseClient(req, res, () => {
        closed = true;
        detach?.();
      });
      const attached = await c.bus.request('dashboard.attach', { client }, 30_000);
      detach = attached.detach;
      if (closed) detach();
    },
  },
];

async function asset(_c: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (!serveAsset(req, res, path)) throw apiErrors.create('KEDGE_API_NOT_FOUND', `no such file: ${path}`);
}
