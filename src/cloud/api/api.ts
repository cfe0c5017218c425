import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { type CloudChannels, type CloudRequests, apiErrors, sendError } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { readTokenFile } from '../../core/token/index.js';
import { passesWithoutToken } from '../../dashboard/index.js';
import { checkAccess, type ApiTokens } from './access.js';
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
  /** A token that may only read (GET), /metrics included; needs `tokenFile` (access.ts). */
  readTokenFile?: string;
  /** A token that may only scrape /metrics (a Prometheus server's); needs `tokenFile`. */
  metricsTokenFile?: string;
  /** Serve HTTPS with this certificate and key (PEM files); default plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** Listen beyond loopback without a token all the same (`--insecure-api`); refused otherwise. */
  insecure?: boolean;
  /** A connection with no request in progress is closed after this long (`cloud.idleTimeoutMs`). */
  idleTimeoutMs: number;
  port: number;
  /** Largest request body (config cloud.apiMaxBodyBytes); larger ones are refused with 413. */
  bodyLimitBytes: number;
  /** Longest `?wait=` or ServiceBus call timeout honoured (config cloud.apiMaxWaitMs). */
  maxWaitMs: number;
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
      bodyLimitBytes: o.bodyLimitBytes,
      maxWaitMs: o.maxWaitMs,
    };
    const tokens = readApiTokens(o);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.authorize(req, tokens)
        .then(() => dispatch(ctx, req, res))
        .then(() => this.requests!.inc({ status: String(res.statusCode) }))
        .catch((err: unknown) => {
          const status = sendError(res, err);
          this.requests!.inc({ status: String(status) });
          if (status >= 500)
            this.log.error({ method: req.method, url: req.url, err: errorText(err) }, 'API request failed');
          if (status === 413) req.resume();
        });
    };
    const server: Server = o.tls ? createHttpsServer(readTls(o.tls), handler) : createServer(handler);
    const host = o.host;
    this.checkExposure(host, tokens.admin !== undefined);
    // Idle and slow clients do not hold sockets for ever (2,000 idle sockets stayed open).
    server.headersTimeout = Math.min(o.idleTimeoutMs, 10_000);
    server.requestTimeout = o.idleTimeoutMs;
    server.keepAliveTimeout = Math.min(o.idleTimeoutMs, 5000);
    server.timeout = o.idleTimeoutMs;
    await listen(server, o.port, host, (err, where) =>
      apiErrors.create('KEDGE_API_LISTEN', `HTTP API cannot listen on ${where}: ${err.message}`, { cause: err }),
    );
    this.server = server;
    this.log.info(
      {
        host,
        port: this.port,
        tls: o.tls !== undefined,
        token: tokens.admin !== undefined,
        readToken: tokens.read !== undefined,
        metricsToken: tokens.metrics !== undefined,
      },
      'HTTP API listening',
    );
  }

  /**
   * Beyond loopback without a token anyone who reaches the port could apply devices, write desired
   * values and call servers on the nodes' networks: refused unless insecure is asked for.
   */
  private checkExposure(host: string, hasToken: boolean): void {
    if (hasToken || isLoopback(host)) return;
    if (!this.options.insecure)
      throw apiErrors.create(
        'KEDGE_API_INSECURE',
        `HTTP API on ${host} without --api-token-file: anyone who reaches it could administer the cloud; refused`,
      );
    this.log.warn(
      { host, code: 'KEDGE_API_INSECURE' },
      `HTTP API on ${host} without a token (--insecure-api): anyone who reaches it may apply devices, write desired values and call servers on the nodes`,
    );
  }

  /**
   * Everything but /healthz and the dashboard's files needs a token, when there is one (a health
   * probe has none to give; the page holds no data and asks for the token itself); what each
   * token allows is in access.ts.
   */
  private async authorize(req: IncomingMessage, tokens: ApiTokens): Promise<void> {
    if (passesWithoutToken(req.method, req.url)) return;
    const access = checkAccess(req, tokens);
    if ('role' in access) return;
    this.log.warn(
      { method: req.method, url: req.url, remote: req.socket.remoteAddress, code: access.refused.code },
      `API request refused: ${access.refused.message}`,
    );
    req.resume();
    throw access.refused;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}

function readApiTokens(o: CloudApiOptions): ApiTokens {
  const read = (f: string | undefined) => (f === undefined ? undefined : readTokenFile(f));
  const tokens = { admin: read(o.tokenFile), read: read(o.readTokenFile), metrics: read(o.metricsTokenFile) };
  if (tokens.admin === undefined && (tokens.read !== undefined || tokens.metrics !== undefined))
    throw apiErrors.create(
      'KEDGE_API_LISTEN',
      'a read-only or metrics token needs the admin token too (--api-token-file): without it the API is open to anyone',
    );
  return tokens;
}

function readTls(tls: { certFile: string; keyFile: string }): { cert: string; key: string } {
  try {
    return { cert: readFileSync(tls.certFile, 'utf8'), key: readFileSync(tls.keyFile, 'utf8') };
  } catch (err) {
    throw apiErrors.create('KEDGE_API_LISTEN', `cannot read the API's TLS certificate or key: ${errorText(err)}`, {
      cause: err,
    });
  }
}

/** 127.0.0.0/8, ::1 and localhost only take connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
