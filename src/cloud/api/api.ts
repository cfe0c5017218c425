import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { type CloudChannels, type CloudRequests, apiErrors, sendError } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { bearerMatches, readTokenFile } from '../../core/token/index.js';
import { passesWithoutToken } from '../../dashboard/index.js';
import type { ObjectStore } from '../store/index.js';
import { dispatch } from './routes.js';
import { listen, closeServer } from '../../core/net/index.js';

export interface CloudApiOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  store: ObjectStore;
  logger: Logger;
  registry: Registry;
  /** Address (config cloud.apiHost: 127.0.0.1; without a token file anyone who reaches the port may use the API). */
  host: string;
  /** A file holding the token every request but /healthz must present (`Authorization: Bearer`); read at start. */
  tokenFile?: string;
  port: number;
  /** Largest request body (default 8 MiB). */
  bodyLimitBytes?: number;
  /** Longest `?wait=` honoured (default 60 s). */
  maxWaitMs?: number;
}

/** The HTTP API of docs/api.md for the CLI (`kedge apply|get|twin|delete`). */
export class CloudApi implements Module {
  readonly name = 'api';
  readonly group = 'api';
  private server: Server | undefined;
  private readonly log: Logger;
  private requests: Counter | undefined;

  constructor(private readonly options: CloudApiOptions) {
    this.log = options.logger.child({ module: this.name });
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.requests ??= new Counter({
      name: 'kedge_api_requests_total',
      help: 'HTTP API requests by status',
      labelNames: ['status'],
      registers: [o.registry],
    });
    const ctx = {
      bus: o.bus,
      store: o.store,
      registry: o.registry,
      bodyLimitBytes: o.bodyLimitBytes ?? 8 * 1024 * 1024,
      maxWaitMs: o.maxWaitMs ?? 60_000,
    };
    const token = o.tokenFile === undefined ? undefined : readTokenFile(o.tokenFile, (w) => this.log.warn(w));
    const server = createServer((req, res) => {
      this.authorize(req, token)
        .then(() => dispatch(ctx, req, res))
        .then(() => this.requests!.inc({ status: String(res.statusCode) }))
        .catch((err: unknown) => {
          const status = sendError(res, err);
          this.requests!.inc({ status: String(status) });
          if (status >= 500)
            this.log.error({ method: req.method, url: req.url, err: errorText(err) }, 'API request failed');
          if (status === 413) req.resume();
        });
    });
    const host = o.host;
    await listen(server, o.port, host, (err, where) =>
      apiErrors.create('KEDGE_API_LISTEN', `HTTP API cannot listen on ${where}: ${err.message}`, { cause: err }),
    );
    this.server = server;
    this.log.info({ host, port: this.port, token: token !== undefined }, 'HTTP API listening');
  }

  /**
   * Everything but /healthz and the dashboard's files needs the token, when there is one (a
   * health probe has none to give; the page holds no data and asks for the token itself).
   */
  private async authorize(req: IncomingMessage, token: string | undefined): Promise<void> {
    if (token === undefined || passesWithoutToken(req.method, req.url)) return;
    if (bearerMatches(req.headers.authorization, token)) return;
    this.log.warn(
      { method: req.method, url: req.url, remote: req.socket.remoteAddress, code: 'KEDGE_API_UNAUTHORIZED' },
      'API request without the token refused',
    );
    req.resume();
    throw apiErrors.create(
      'KEDGE_API_UNAUTHORIZED',
      `${req.method} ${req.url}: ${req.headers.authorization ? 'wrong token' : 'no token'}`,
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}
