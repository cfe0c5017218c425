import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  type EdgeChannels,
  type EdgeRequests,
  apiErrors,
  readJson,
  sendError,
  sendJson,
  sendText,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { isDashboardAsset, serveAsset, sseClient } from '../../dashboard/index.js';
import { nodeRoutes } from './node-routes.js';
import { sourceRoutes } from './source-routes.js';
import { edgeRoutes, type Route } from './routes.js';
import { listen, closeServer } from '../../core/net/index.js';

export interface EdgeApiDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  logger: Logger;
  registry: Registry;
  /** Port on 127.0.0.1 (0 = any free port). */
  port: number;
  /** Largest accepted body (default 4 MiB). */
  maxBodyBytes?: number;
  /** This node's name (the node paths answer for it). */
  node?: string;
}

/** The edge's local HTTP API (docs/api.md), on 127.0.0.1 only: `kedge apply --edge` with no cloud. */
export class EdgeApi implements Module {
  readonly name = 'api';
  readonly group = 'meta';
  private server: Server | undefined;
  private routes: Route[] = [];
  private boundPort = 0;

  constructor(private readonly deps: EdgeApiDeps) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    this.routes = [
      ...edgeRoutes(this.deps.bus),
      ...nodeRoutes(this.deps.bus, this.deps.node ?? ''),
      ...sourceRoutes(this.deps.bus),
    ];
    const server = createServer((req, res) => void this.onRequest(req, res));
    this.boundPort = await listen(server, this.deps.port, '127.0.0.1', (err, where) =>
      apiErrors.create('KEDGE_API_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err }),
    );
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && isDashboardAsset(url.pathname)) {
        if (serveAsset(req, res, url.pathname)) return;
        throw apiErrors.create('KEDGE_API_NOT_FOUND', `no such file: ${url.pathname}`);
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/events') return await this.events(req, res);
      if (req.method === 'GET' && url.pathname === '/healthz') return sendText(res, 200, 'ok');
      if (req.method === 'GET' && url.pathname === '/metrics') {
        // The node's page with its mappers' (MetricsFederation), or the edge's own without it.
        const text = await this.deps.bus.request('metrics.page', {}).catch(() => this.deps.registry.metrics());
        return sendText(res, 200, text, this.deps.registry.contentType);
      }
      for (const route of this.routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m || route.method !== req.method) continue;
        const body =
          req.method === 'POST' || req.method === 'PUT'
            ? await readJson(req, this.deps.maxBodyBytes ?? 4 << 20)
            : undefined;
        const out = await route.handle(m.slice(1).map(decodeURIComponent), body, url.searchParams);
        if (route.contentType) return sendText(res, 200, String(out), route.contentType);
        return sendJson(res, 200, out);
      }
      throw apiErrors.create('KEDGE_API_NOT_FOUND', `${req.method} ${url.pathname} is not served by the edge API`);
    } catch (err) {
      if (sendError(res, err) >= 500)
        this.deps.logger.error({ path: url.pathname, err: errorText(err) }, 'api request failed');
    }
  }

  /** The dashboard's live event stream (Server-Sent Events). */
  private async events(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let detach: (() => void) | undefined;
    let closed = false;
    const client = sseClient(req, res, () => {
      closed = true;
      detach?.();
    });
    detach = (await this.deps.bus.request('dashboard.attach', { client }, 30_000)).detach;
    if (closed) detach();
  }
}
