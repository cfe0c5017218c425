import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type EdgeChannels, type EdgeRequests, apiErrors, apiErrorBody } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText, httpStatusOf } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
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
    this.routes = edgeRoutes(this.deps.bus);
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
      if (req.method === 'GET' && url.pathname === '/healthz')
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const text = await this.deps.registry.metrics();
        return void res.writeHead(200, { 'content-type': this.deps.registry.contentType }).end(text);
      }
      for (const route of this.routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m || route.method !== req.method) continue;
        const body = req.method === 'POST' || req.method === 'PUT' ? await this.readJson(req) : undefined;
        const out = await route.handle(m.slice(1).map(decodeURIComponent), body, url.searchParams);
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      }
      throw apiErrors.create('KEDGE_API_NOT_FOUND', `${req.method} ${url.pathname} is not served by the edge API`);
    } catch (err) {
      const status = httpStatusOf(err);
      if (status >= 500) this.deps.logger.error({ path: url.pathname, err: errorText(err) }, 'api request failed');
      if (!res.headersSent)
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(apiErrorBody(err)));
    }
  }

  private readJson(req: IncomingMessage): Promise<unknown> {
    const max = this.deps.maxBodyBytes ?? 4 << 20;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max && !failed) {
          failed = true;
          reject(apiErrors.create('KEDGE_API_BODY_TOO_LARGE', `request body exceeds ${max} bytes`));
        } else if (!failed) chunks.push(c);
      });
      req.on('end', () => {
        if (failed) return;
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        } catch (err) {
          reject(apiErrors.create('KEDGE_API_BAD_JSON', `request body is not JSON: ${errorText(err)}`));
        }
      });
      req.on('error', reject);
    });
  }
}
