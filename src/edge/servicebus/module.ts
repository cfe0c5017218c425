import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type EdgeChannels, type EdgeRequests, apiErrorBody } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { isKedgeError, errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { compileAllowList } from './allow.js';
import { callTarget, type CallLimits } from './call.js';
import { servicebusErrors } from './errors.js';
import { listen, closeServer } from '../../core/net/index.js';

export interface ServiceBusDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  logger: Logger;
  /** Port on 127.0.0.1 (0 = any free port). */
  port: number;
  allow: readonly string[];
  limits?: Partial<CallLimits>;
}

const endpoint = { name: 'servicebus', group: 'bus' };
const DEFAULT_LIMITS: CallLimits = { timeoutMs: 10_000, maxRequestBytes: 1 << 20, maxResponseBytes: 4 << 20 };

/**
 * Reaches HTTP servers on the edge network for the cloud (bus request `servicebus.call`, for the
 * link) and for local callers (`http://127.0.0.1:<port>/<host>:<port>/<path>`), only for targets
 * in the allow-list, with a timeout and size limits.
 */
export class ServiceBus implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private server: Server | undefined;
  private undo: (() => void) | undefined;
  private boundPort = 0;

  constructor(private readonly deps: ServiceBusDeps) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const limits = { ...DEFAULT_LIMITS, ...this.deps.limits };
    const allowed = compileAllowList(this.deps.allow);
    const server = createServer((req, res) => void this.onHttp(req, res, allowed, limits));
    this.boundPort = await listen(server, this.deps.port, '127.0.0.1', (err, where) =>
      servicebusErrors.create('KEDGE_SERVICEBUS_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err }),
    );
    this.server = server;
    this.undo = this.deps.bus.serve('servicebus.call', endpoint, (req) => callTarget(req, allowed, limits));
  }

  async stop(): Promise<void> {
    this.undo?.();
    this.undo = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async onHttp(
    req: IncomingMessage,
    res: ServerResponse,
    allowed: (t: string) => boolean,
    limits: CallLimits,
  ): Promise<void> {
    try {
      const m = /^\/([^/]+)(\/.*)?$/.exec(req.url ?? '');
      if (!m)
        throw servicebusErrors.create('KEDGE_SERVICEBUS_BAD_REQUEST', `path ${req.url} is not /<host>:<port>/<path>`);
      const body = await readLimited(req, limits.maxRequestBytes);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const out = await callTarget(
        {
          method: req.method ?? 'GET',
          target: decodeURIComponent(m[1]!),
          path: m[2] ?? '/',
          headers,
          body: body.toString('base64'),
        },
        allowed,
        limits,
      );
      res.writeHead(out.status, out.headers).end(Buffer.from(out.body, 'base64'));
    } catch (err) {
      const e = isKedgeError(err) ? err : servicebusErrors.create('KEDGE_SERVICEBUS_UPSTREAM', errorText(err));
      if (e.status >= 500) this.deps.logger.warn({ url: req.url, err: errorText(err) }, 'servicebus call failed');
      res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify(apiErrorBody(e)));
    }
  }
}

function readLimited(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(servicebusErrors.create('KEDGE_SERVICEBUS_TOO_LARGE', `request body exceeds ${max} bytes`));
        req.resume();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
