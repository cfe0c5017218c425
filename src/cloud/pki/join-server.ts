import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from '../../core/net/index.js';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { JOIN_PATHS, JoinRequestSchema, parseJoinToken, type JoinRequest } from '../../contracts/index.js';
import { isKedgeError, toKedgeError } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { jsonChecker } from '../../core/schema/index.js';
import { cloudPkiErrors } from './errors.js';
import type { CloudPki } from './pki.js';

export interface JoinServerOptions {
  pki: CloudPki;
  logger: Logger;
  registry: Registry;
  host: string;
  /** KubeEdge's certificate port, 10002; 0 picks a free one (tests). */
  port: number;
  /** An HTTP connection without a request in progress is closed after this long. */
  idleTimeoutMs: number;
}

const BODY_LIMIT = 32 * 1024;
const checkJoin = jsonChecker(JoinRequestSchema);

/**
 * The cloud's join port (HTTPS, KubeEdge's 10002): the CA certificate for anyone (a joining node
 * pins it by the token's hash), certificates for nodes with a join token, renewals for nodes
 * presenting their current certificate.
 */
export class JoinServer implements Module {
  readonly name = 'joinserver';
  readonly group = 'pki';
  private server: Server | undefined;
  private requests: Counter | undefined;
  private readonly log: Logger;

  constructor(private readonly options: JoinServerOptions) {
    this.log = options.logger.child({ module: 'joinserver' });
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.requests ??= new Counter({
      name: 'kedge_join_requests_total',
      help: 'Requests to the join port by path and outcome (ok, or the refusal code)',
      labelNames: ['path', 'outcome'],
      registers: [o.registry],
    });
    // Client certificates are asked for, not required: a joining node has none yet. Renewal checks it.
    this.server = createServer(
      { ...o.pki.serverTls(), requestCert: true, rejectUnauthorized: false, handshakeTimeout: 10_000 },
      (req, res) => void this.handle(req, res),
    );
    this.server.headersTimeout = Math.min(o.idleTimeoutMs, 10_000);
    this.server.requestTimeout = o.idleTimeoutMs;
    this.server.keepAliveTimeout = Math.min(o.idleTimeoutMs, 5000);
    this.server.on('tlsClientError', (err, socket) =>
      this.log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'),
    );
    await listen(this.server, o.port, o.host, (err, where) =>
      cloudPkiErrors.create('KEDGE_JOIN_LISTEN', `join port ${where}: ${err.message}`, { cause: err }),
    );
    this.log.info({ port: this.port, host: o.host }, 'join port listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    try {
      if (req.method === 'GET' && path === JOIN_PATHS.ca) {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.options.pki.ca.certPem);
        this.requests!.inc({ path, outcome: 'ok' });
        return;
      }
      if (req.method === 'POST' && path === JOIN_PATHS.join) {
        const token = parseJoinToken(bearerOf(req) ?? '');
        if (!token)
          throw cloudPkiErrors.create('KEDGE_JOIN_TOKEN_INVALID', 'no join token (Authorization: Bearer <token>)');
        const body = await this.body(req);
        return this.answer(res, path, await this.options.pki.join(token, body.node, body.csr));
      }
      if (req.method === 'POST' && path === JOIN_PATHS.renew) {
        const peer = this.options.pki.checkPeer(req.socket as TLSSocket);
        const body = await this.body(req);
        return this.answer(res, path, await this.options.pki.renew(peer, body.node, body.csr));
      }
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`kedge join port: GET ${JOIN_PATHS.ca}, POST ${JOIN_PATHS.join}, POST ${JOIN_PATHS.renew}\n`);
      this.requests!.inc({ path: 'other', outcome: 'not_found' });
    } catch (err) {
      const e = isKedgeError(err) ? err : toKedgeError(err, 'KEDGE_JOIN_BAD_REQUEST');
      const status = isKedgeError(err) ? e.status : 500;
      // The metric and the log say why a token failed (the answer does not tell unknown from wrong).
      const refusal = typeof e.detail?.refusal === 'string' ? e.detail.refusal : undefined;
      this.requests!.inc({ path, outcome: refusal ?? e.code });
      this.log.warn(
        { path, remote: req.socket.remoteAddress, code: e.code, ...(refusal ? { refusal } : {}) },
        `join port refused a request: ${e.message}${refusal === 'wrong_secret' ? ' (wrong secret)' : ''}`,
      );
      const text = JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } });
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    }
  }

  private answer(res: ServerResponse, path: string, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    this.requests!.inc({ path, outcome: 'ok' });
  }

  private async body(req: IncomingMessage): Promise<JoinRequest> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > BODY_LIMIT)
        throw cloudPkiErrors.create('KEDGE_JOIN_BAD_REQUEST', `request body above ${BODY_LIMIT} bytes`);
      chunks.push(c as Buffer);
    }
    const checked = checkJoin(Buffer.concat(chunks));
    if (!checked.ok) throw cloudPkiErrors.create('KEDGE_JOIN_BAD_REQUEST', checked.reason);
    return checked.value;
  }
}

function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}
