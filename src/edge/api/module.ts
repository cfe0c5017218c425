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
import type { StoreHealth } from '../store/index.js';
import { bearerMatches, readTokenFile } from '../../core/token/index.js';
import { isDashboardAsset, passesWithoutToken, serveAsset, sseClient } from '../../dashboard/index.js';
import { nodeRoutes } from './node-routes.js';
import { sourceRoutes } from './source-routes.js';
import { edgeRoutes, type Route } from './routes.js';
import { listen, closeServer } from '../../core/net/index.js';

export interface EdgeApiDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  logger: Logger;
  registry: Registry;
  /** Port (0 = any free port). */
  port: number;
  /** Address (default 127.0.0.1); another than loopback needs `tokenFile`. */
  host?: string;
  /** File with the token every request but /healthz and the dashboard's files must carry. */
  tokenFile?: string;
  /** Largest accepted body (config edge.apiMaxBodyBytes); larger ones are refused with 413. */
  maxBodyBytes: number;
  /** The store's health for /healthz (without it /healthz answers `ok`). */
  health?: () => StoreHealth;
  /** This node's name (the node paths answer for it). */
  node?: string;
}

/**
 * The edge's local HTTP API (docs/api.md) and dashboard: `kedge apply --edge` with no cloud. On
 * 127.0.0.1 by default; on another address (a standalone gateway's dashboard reached from the
 * plant network) only with a token, since the API applies devices and writes to them.
 */
export class EdgeApi implements Module {
  readonly name = 'api';
  readonly group = 'meta';
  private server: Server | undefined;
  private routes: Route[] = [];
  private boundPort = 0;
  private token: string | undefined;

  constructor(private readonly deps: EdgeApiDeps) {
    // Checked when the node is built, before anything starts: the user sees this code and its hint.
    const host = deps.host ?? '127.0.0.1';
    if (deps.tokenFile === undefined && !isLoopback(host))
      throw apiErrors.create('KEDGE_API_OPEN_WITHOUT_TOKEN', `the edge API on ${host} needs --api-token-file`);
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    this.routes = [
      ...edgeRoutes(this.deps.bus),
      ...nodeRoutes(this.deps.bus, this.deps.node ?? ''),
      ...sourceRoutes(this.deps.bus),
    ];
    const host = this.deps.host ?? '127.0.0.1';
    this.token = this.deps.tokenFile === undefined ? undefined : readTokenFile(this.deps.tokenFile);
    const server = createServer((req, res) => void this.onRequest(req, res));
    this.boundPort = await listen(server, this.deps.port, host, (err, where) =>
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
      this.authorize(req);
      if (req.method === 'GET' && isDashboardAsset(url.pathname)) {
        if (serveAsset(req, res, url.pathname)) return;
        throw apiErrors.create('KEDGE_API_NOT_FOUND', `no such file: ${url.pathname}`);
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/events') return await this.events(req, res);
      if (req.method === 'GET' && url.pathname === '/healthz') return this.healthz(res);
      if (req.method === 'GET' && url.pathname === '/metrics') {
        // The node's page with its mappers' (MetricsFederation), or the edge's own without it.
        const text = await this.deps.bus.request('metrics.page', {}).catch(() => this.deps.registry.metrics());
        return sendText(res, 200, text, this.deps.registry.contentType);
      }
      for (const route of this.routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m || route.method !== req.method) continue;
        const body =
          req.method === 'POST' || req.method === 'PUT' ? await readJson(req, this.deps.maxBodyBytes) : undefined;
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

  /**
   * 200 with `status: ok`, or `degraded` while the disk is full (readings are being dropped to make
   * room, new ones still stored); 503 with `failing` after repeated failed commits.
   */
  private healthz(res: ServerResponse): void {
    const h = this.deps.health?.();
    const status = !h ? 'ok' : !h.ok ? 'failing' : h.disk?.state === 'full' ? 'degraded' : 'ok';
    const body = { status, ...(h ? { store: h } : {}) };
    sendJson(res, status === 'failing' ? 503 : 200, body);
  }

  /** With a token, every request but /healthz and the dashboard's files must carry it. */
  private authorize(req: IncomingMessage): void {
    const token = this.token;
    if (token === undefined || passesWithoutToken(req.method, req.url)) return;
    if (bearerMatches(req.headers.authorization, token)) return;
    this.deps.logger.warn(
      { method: req.method, url: req.url, remote: req.socket.remoteAddress, code: 'KEDGE_API_UNAUTHORIZED' },
      'API request without the token refused',
    );
    req.resume();
    throw apiErrors.create(
      'KEDGE_API_UNAUTHORIZED',
      `${req.method} ${req.url}: ${req.headers.authorization ? 'wrong token' : 'no token'}`,
    );
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

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
