import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  classifyEdgeResponse,
  LogsRoute,
  LINK_PROJECT,
  LINK_STORE_HEADER,
  type LinkIdentity,
  type AckContent,
  type CloudChannels,
  type CloudRequests,
  type CloudServiceCall,
  type DownstreamItem,
  type EdgeResponse,
  type ServiceCallResponse,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { systemClock, type Clock, type Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import {
  buildResponse,
  Operation,
  parseMessage,
  parseResource,
  serializeMessage,
  type Message,
} from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { bearerMatches, readTokenFile } from '../../core/token/index.js';
import { LocalPresence, type NodePresence } from '../presence/index.js';
import { HANDLED_WINDOW, type LinkStateStore } from '../store/index.js';
import { DedupeWindow } from './dedupe.js';
import { DownstreamQueues } from './downstream.js';
import { checkCertificate, refusedConnectionsCounter, type HubTls } from './identity.js';
import { cloudhubErrors } from './errors.js';
import { KeyedChain } from '../../core/async/index.js';
import { cloudhubMetrics, type CloudhubMetrics } from './metrics.js';
import { parseHubPath } from './path.js';
import { LogStreams } from './log-streams.js';
import { buildEdgeQuery, buildServiceCall, decodeQueryAnswer } from './service-call-message.js';
import { PendingCalls } from './service-calls.js';
import { closeServer, listen } from '../../core/net/index.js';

export interface CloudHubOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  linkState: LinkStateStore;
  /**
   * Which replica holds each node (src/cloud/presence). A node is claimed when it connects; a
   * replica that turns unhealthy (cut off from etcd) closes its edges and refuses new ones.
   * Default: one process (LocalPresence).
   */
  presence?: NodePresence;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Address to listen on (config cloud.hubHost: 0.0.0.0, edge nodes connect from other machines). */
  host: string;
  /** 0 picks a free port (tests); see `port` after start(). */
  port: number;
  /**
   * A file holding the token edge nodes must present (`Authorization: Bearer <token>`); read at
   * start. Without it any client that reaches the port may connect as any node.
   */
  tokenFile?: string;
  /**
   * The link over mutual TLS (wss://, src/cloud/pki): a node is who its certificate says, the
   * URL must agree; revoked nodes are closed and refused. Without it the link is plain ws://.
   */
  tls?: HubTls;
  /** Largest frame accepted (config cloud.maxFrameBytes); larger frames close the connection with 1009. */
  maxPayloadBytes: number;
  /** A node without any frame for this long is not ready and its socket is closed (cloud.keepaliveTimeoutMs). */
  keepaliveTimeoutMs: number;
  /**
   * An HTTP connection that has not upgraded is closed after this long without a request in
   * progress (`cloud.idleTimeoutMs`); after the upgrade the keepalive timeout applies.
   */
  idleTimeoutMs: number;
  /**
   * Handled message ids remembered per node (default HANDLED_WINDOW, as the link state keeps
   * them). A re-sent message is one whose ack was lost; the edge keeps at most its window (256)
   * unacknowledged, so a resend is never more than that many messages old: 8x that is ample, and
   * keeps memory per node near 200 KB.
   */
  dedupeWindow?: number;
  /**
   * How long a module may take to handle one upstream message. Default: no limit. A publish
   * waits for the broker to come back; giving up while it is still queued in the MQTT client
   * would let the edge's resend be published a second time.
   */
  handleTimeoutMs?: number;
  /** ServiceBus calls waiting for one node's answer, at most (default 64); more fail at once. */
  maxPendingCallsPerNode?: number;
}

interface Connection {
  node: string;
  ws: WebSocket;
  lastSeen: number;
  closed: boolean;
  /** When the node's certificate expires: the connection ends then (the node renews before). */
  notAfter?: number;
  /** Claimed and its dedupe window loaded: frames are handled; until then they wait in `early`. */
  ready: boolean;
  early: Array<{ data: RawData; isBinary: boolean }>;
}

type UpstreamRequest =
  | 'upstream.telemetrycolumns'
  | 'upstream.devicetwin'
  | 'upstream.devicestate'
  | 'upstream.mapperstatus'
  | 'upstream.podstatus';
const UPSTREAM = new Map<string, UpstreamRequest>([
  ['telemetrycolumns', 'upstream.telemetrycolumns'],
  ['devicetwin', 'upstream.devicetwin'],
  ['devicestate', 'upstream.devicestate'],
  ['mapperstatus', 'upstream.mapperstatus'],
  ['podstatus', 'upstream.podstatus'],
]);
const KNOWN_OPS = new Set<string>(Object.values(Operation));
const STORE_ID = /^[0-9a-zA-Z-]{8,64}$/;
/** Connections being claimed and loaded at once, at most. */
const MAX_PREPARING = 128;
/**
 * A TLS handshake not done by then ends the connection (Node's default is 120 s): idle or
 * half-open sockets (2,000 in the fuzz run) would otherwise hold their file descriptors that long.
 */
export const TLS_HANDSHAKE_MS = 10_000;
/** The longest timer Node allows (about 24.8 days): in effect no limit. */
const NO_LIMIT_MS = 2_147_483_647;
export const CLOSE = {
  invalid: 1007,
  tooBig: 1009,
  internal: 1011,
  replaced: 4000,
  keepalive: 4001,
  /** The node's Node object was deleted (Kubernetes mode): the edge may connect and register again. */
  disconnected: 4004,
  /** This replica cannot reach its store (etcd): the edge should try another replica. */
  unavailable: 1013,
  stopping: 1001,
  revoked: 4002,
  certificateExpired: 4003,
} as const;

/**
 * The cloud end of the link (docs/link.md): one WebSocket per edge node, acknowledgements after
 * handling, dedupe by msg_id, a keyed downstream queue with resend on reconnect, keepalive.
 */
export class CloudHub implements Module {
  readonly name = 'cloudhub';
  readonly group = 'cloudhub';
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly conns = new Map<string, Connection>();
  /** Messages being handled -> how many copies arrived meanwhile (each gets its ack). */
  private readonly inflight = new Map<string, number>();
  private readonly chain = new KeyedChain();
  private readonly corked = new Set<WebSocket>();
  private sweepTimer: Timer | undefined;
  private unsubscribe: (() => void) | undefined;
  private dedupe: DedupeWindow | undefined;
  private queues: DownstreamQueues | undefined;
  private metrics: CloudhubMetrics | undefined;
  private calls: PendingCalls | undefined;
  private unserve: (() => void) | undefined;
  private logStreams: LogStreams | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private token: string | undefined;
  private refusedConnections: ReturnType<typeof refusedConnectionsCounter> | undefined;
  private unrevoked: (() => void) | undefined;
  private readonly presence: NodePresence;
  private unhealth: (() => void) | undefined;
  private preparing = 0;
  private readonly prepareQueue: Array<() => void> = [];

  constructor(private readonly options: CloudHubOptions) {
    this.log = options.logger.child({ module: 'cloudhub' });
    this.clock = options.clock ?? systemClock;
    this.presence = options.presence ?? new LocalPresence();
  }

  /** The port listened on (after start). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Nodes connected now. */
  get connectedNodes(): string[] {
    return [...this.conns.keys()];
  }

  /** ServiceBus calls waiting for an answer (of one node, or all). */
  pendingCallCount(node?: string): number {
    return this.calls?.count(node) ?? 0;
  }

  /** Objects sent down and not acknowledged yet (of one node, or all). */
  pendingObjectCount(node?: string): number {
    return this.queues?.pendingCount(node) ?? 0;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.token = o.tokenFile === undefined ? undefined : readTokenFile(o.tokenFile, (w) => this.log.warn(w));
    this.queues = new DownstreamQueues(o.linkState, (node, key, err) =>
      this.log.warn(
        { node, key, err: errorText(err) },
        'acknowledged object not recorded; it is sent again on reconnect',
      ),
    );
    this.dedupe = new DedupeWindow(o.linkState, o.dedupeWindow ?? HANDLED_WINDOW);
    this.metrics ??= cloudhubMetrics(
      o.registry,
      () => this.queues?.pendingCount() ?? 0,
      () => this.conns.size,
      () => this.calls?.count() ?? 0,
    );
    const metrics = this.metrics;
    this.calls = new PendingCalls(this.clock, o.maxPendingCallsPerNode ?? 64, (outcome) =>
      metrics.serviceCalls.inc({ outcome }),
    );
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.maxPayloadBytes,
      perMessageDeflate: false,
    });
    const plain = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
      res
        .writeHead(426, { 'content-type': 'text/plain' })
        .end('kedge CloudHub: connect with a WebSocket to /<project>/<node>/events\n');
    };
    // Client certificates are asked for, and judged after the handshake: a refused node then
    // hears why (401/403 with the reason logged) instead of a bare TLS alert.
    this.server = o.tls
      ? (createTlsServer(
          { ...o.tls.serverTls(), requestCert: true, rejectUnauthorized: false, handshakeTimeout: TLS_HANDSHAKE_MS },
          plain,
        ) as Server)
      : createServer(plain);
    if (o.tls) {
      this.refusedConnections ??= refusedConnectionsCounter(o.registry);
      this.unrevoked = o.tls.onRevoked((node) => this.revoked(node));
    }
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.headersTimeout = Math.min(o.idleTimeoutMs, 10_000);
    this.server.requestTimeout = o.idleTimeoutMs;
    this.server.keepAliveTimeout = Math.min(o.idleTimeoutMs, 5000);
    this.server.timeout = o.idleTimeoutMs; // ws turns it off for the upgraded socket
    await listen(this.server, o.port, o.host, (err, where) =>
      cloudhubErrors.create('KEDGE_CLOUDHUB_LISTEN', `CloudHub cannot listen on ${where}: ${err.message}`, {
        cause: err,
      }),
    );
    const unsubscribeSend = o.bus.subscribe('link.send', { name: this.name, group: this.group }, (item) =>
      this.send(item),
    );
    const unsubscribeDisconnect = o.bus.subscribe('link.disconnect', { name: this.name, group: this.group }, (e) =>
      this.disconnect(e.node, e.reason),
    );
    this.unsubscribe = () => {
      unsubscribeSend();
      unsubscribeDisconnect();
    };
    this.unhealth = this.presence.onHealth((healthy) => {
      if (healthy) return;
      for (const conn of [...this.conns.values()])
        this.closeConn(
          conn,
          CLOSE.unavailable,
          'this cloud replica is cut off from its store (etcd or the Kubernetes API): connect to another',
          true,
        );
    });
    const me = { name: this.name, group: this.group };
    this.logStreams = new LogStreams(o.bus, () => this.clock.now());
    const unserveCalls = o.bus.serve('servicebus.call', me, (req) => this.serviceCall(req));
    const unserveQueries = o.bus.serve('edge.query', me, (req) => this.edgeQuery(req));
    const unserveLogs = o.bus.serve('podlogs.open', me, (req) => this.openLogs(req));
    const unsubscribeClose = o.bus.subscribe('podlogs.close', me, (e) => this.closeLogs(e.streamId));
    this.unserve = () => {
      unserveCalls();
      unserveQueries();
      unserveLogs();
      unsubscribeClose();
    };
    const timeout = o.keepaliveTimeoutMs;
    this.sweepTimer = this.clock.setInterval(
      () => this.sweep(timeout),
      Math.max(10, Math.min(1000, Math.floor(timeout / 4))),
    );
    this.log.info(
      { port: this.port, host: o.host, tls: o.tls !== undefined, token: this.token !== undefined },
      'CloudHub listening',
    );
    if (!o.tls)
      this.log.warn(
        'INSECURE LINK: CloudHub runs plain ws://: nothing is encrypted and a node is whoever its URL names. For a lab only; without --insecure-link every node joins with a certificate (kedge token create, kedge edge join)',
      );
    if (!this.token && !o.tls)
      this.log.warn(
        'CloudHub accepts edge nodes without a token: any client that reaches the port may connect as any node (kedge cloud --token-file)',
      );
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) this.clock.clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unserve?.();
    this.unserve = undefined;
    this.unrevoked?.();
    this.unrevoked = undefined;
    this.unhealth?.();
    this.unhealth = undefined;
    this.calls?.failAll('the cloud is stopping');
    for (const conn of this.conns.values()) this.logStreams?.failOwner(conn, 'the cloud is stopping');
    for (const conn of [...this.conns.values()]) {
      conn.closed = true;
      conn.ws.terminate();
    }
    this.conns.clear();
    await this.dedupe?.flush().catch(() => {});
    const server = this.server;
    this.server = undefined;
    this.wss?.close();
    this.wss = undefined;
    if (server) await closeServer(server);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = parseHubPath(req.url);
    if (!path || path.project !== LINK_PROJECT || !this.wss) {
      this.log.warn(
        { url: req.url, code: 'KEDGE_CLOUDHUB_BAD_PATH', remote: req.socket.remoteAddress },
        'refused a connection to an unknown path',
      );
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!this.presence.healthy) {
      this.log.warn(
        { node: path.node, code: 'KEDGE_CLOUDHUB_UNAVAILABLE' },
        `refused node ${path.node}: cut off from etcd`,
      );
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let notAfter: number | undefined;
    if (this.options.tls) {
      const verdict = checkCertificate(this.options.tls, req, path.node);
      if (!verdict.ok) {
        this.refusedConnections!.inc({ reason: verdict.reason });
        this.log.warn(
          {
            node: path.node,
            code: 'KEDGE_CLOUDHUB_UNAUTHORIZED',
            reason: verdict.reason,
            remote: req.socket.remoteAddress,
          },
          `refused a connection as node ${path.node}: ${verdict.why}`,
        );
        const text = verdict.status === 401 ? 'Unauthorized' : 'Forbidden';
        socket.end(`HTTP/1.1 ${verdict.status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      notAfter = verdict.notAfter;
    }
    if (this.token !== undefined && !bearerMatches(req.headers.authorization, this.token)) {
      this.metrics!.unauthorized.inc();
      this.log.warn(
        { node: path.node, code: 'KEDGE_CLOUDHUB_UNAUTHORIZED', remote: req.socket.remoteAddress },
        `refused node ${path.node}: ${req.headers.authorization ? 'wrong token' : 'no token'}`,
      );
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const identity: LinkIdentity =
      notAfter !== undefined ? 'certificate' : this.token !== undefined ? 'token' : 'anonymous';
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(path.node, ws, req, identity, notAfter));
  }

  /**
   * A fresh-store handshake: the edge presents its store's id (LINK_STORE_HEADER). Another id than the
   * one the node's acknowledgements belong to means its store is new, wiped or replaced: what it
   * acknowledged is forgotten and nothing queued for the old store is sent, so the controllers
   * send it everything again, in order (models, devices, desired values, mapper set). An edge that
   * presents no id (older versions) is synced from what it acknowledged, as before.
   */
  private storeIdOf(node: string, req: IncomingMessage): string | undefined {
    const raw = req.headers[LINK_STORE_HEADER];
    if (raw === undefined) return undefined;
    const storeId = Array.isArray(raw) ? raw[0]! : raw;
    if (STORE_ID.test(storeId)) return storeId;
    this.log.warn(
      { node, storeId: storeId.slice(0, 80) },
      `node ${node} sent a malformed ${LINK_STORE_HEADER}; ignored`,
    );
    return undefined;
  }

  /** After the node is claimed and before link.connected: true when its store is fresh (see storeIdOf). */
  private async freshStore(node: string, storeId: string | undefined): Promise<boolean> {
    if (storeId === undefined) return false;
    const known = await this.options.linkState.storeOf(node);
    if (known === storeId) return false;
    await this.options.linkState.resetNode(node, storeId);
    this.queues!.forget(node);
    this.metrics!.freshStores.inc();
    this.log.info(
      { node, storeId, previous: known },
      known === undefined
        ? `node ${node} connected with store ${storeId}: sending it everything`
        : `node ${node} connected with a new store (${storeId}, was ${known}): its data was lost or replaced, sending it everything again`,
    );
    return true;
  }

  private onConnection(
    node: string,
    ws: WebSocket,
    req: IncomingMessage,
    identity: LinkIdentity,
    notAfter?: number,
  ): void {
    const conn: Connection = { node, ws, lastSeen: this.clock.now(), closed: false, ready: false, early: [] };
    if (notAfter !== undefined) conn.notAfter = notAfter;
    const previous = this.conns.get(node);
    if (previous) {
      this.metrics!.replaced.inc();
      this.log.warn({ node }, 'node connected again: closing its previous connection');
      this.closeConn(previous, CLOSE.replaced, `replaced by a new connection of node ${node}`, false);
    }
    this.conns.set(node, conn);
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('error', (err) => this.onSocketError(conn, err));
    ws.on('close', (code, reason) => this.onClose(conn, code, reason.toString()));
    this.log.info({ node, remote: req.socket.remoteAddress }, 'node connected');
    void this.prepare(conn, this.storeIdOf(node, req), identity);
  }

  /**
   * Claims the node for this replica and reads its dedupe window (another replica may have
   * handled its last messages), then handles what arrived meanwhile. A store that does not
   * answer ends the connection: the edge retries, maybe on another replica.
   */
  private async prepare(conn: Connection, storeId: string | undefined, identity: LinkIdentity): Promise<void> {
    const { node } = conn;
    // A reconnect storm (every node of a replica that died) is taken a bounded number at a time.
    while (this.preparing >= MAX_PREPARING) await new Promise<void>((r) => this.prepareQueue.push(r));
    this.preparing++;
    let fresh = false;
    try {
      if (conn.closed) return;
      await Promise.all([this.presence.claim(node), this.dedupe!.load(node)]);
      // Claimed first: only the node's holder resets what it acknowledged.
      if (!conn.closed) fresh = await this.freshStore(node, storeId);
    } catch (err) {
      this.log.warn({ node, code: 'KEDGE_CLOUDHUB_UNAVAILABLE', err: errorText(err) }, 'node not claimed');
      this.closeConn(conn, CLOSE.unavailable, `the cloud cannot reach its store: ${errorText(err)}`, true);
      return;
    } finally {
      this.preparing--;
      this.prepareQueue.shift()?.();
    }
    if (conn.closed) return;
    conn.ready = true;
    for (const item of this.queues!.resetForConnection(node)) this.write(conn, item);
    this.options.bus.publish('link.connected', { node, ts: this.clock.now(), fresh, identity });
    for (const f of conn.early.splice(0)) this.onFrame(conn, f.data, f.isBinary);
  }

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    conn.lastSeen = this.clock.now();
    if (!conn.ready) {
      conn.early.push({ data, isBinary });
      return;
    }
    if (isBinary) return this.reject(conn, 'binary frame: the link carries text frames (JSON) only');
    const parsed = parseMessage(data as Buffer);
    if (!parsed.ok) return this.reject(conn, parsed.error.message);
    const msg = parsed.message;
    const op = msg.route.operation ?? '';
    this.metrics!.frames.inc({ operation: KNOWN_OPS.has(op) ? op : 'other' });
    if (op === Operation.keepalive) {
      this.options.bus.publish('link.heartbeat', { node: conn.node, ts: conn.lastSeen });
    } else if (op === Operation.response) {
      this.onEdgeResponse(conn, classifyEdgeResponse(msg));
    } else if (msg.route.group === LogsRoute.group) {
      this.logStreams!.onFrame(conn.node, msg);
    } else {
      this.upstream(conn, msg);
    }
  }

  /** An edge `response`: the ack of an object sent down, or the answer to a ServiceBus call. */
  private onEdgeResponse(conn: Connection, res: EdgeResponse | undefined): void {
    if (!res) return;
    if (res.kind === 'servicecall') {
      if (!this.calls!.settle(conn.node, res.parentId, res.result))
        this.log.debug({ node: conn.node, parent: res.parentId }, 'late or unknown ServiceBus answer dropped');
      return;
    }
    if (res.kind === 'invalid') {
      this.log.warn({ node: conn.node, parent: res.parentId, code: 'KEDGE_CLOUDHUB_MALFORMED_FRAME' }, res.reason);
      this.calls!.fail(
        res.parentId,
        'edge_error',
        cloudhubErrors.create(
          'KEDGE_CLOUDHUB_MALFORMED_FRAME',
          `node ${conn.node} answered a ServiceBus call with ${res.reason}`,
        ),
      );
      return;
    }
    const outcome = this.queues!.ack(conn.node, res.parentId, res.content.ok);
    if (outcome && !res.content.ok) {
      this.log.warn({ node: conn.node, key: outcome.item.key, reason: res.content.reason }, 'edge refused an object');
    }
  }

  /**
   * A live call to a server on the node's network: sent at once on the node's connection, never
   * queued; fails at once when the node is not connected.
   */
  private serviceCall(req: CloudServiceCall): Promise<ServiceCallResponse> {
    return this.call(req.node, req.timeoutMs, buildServiceCall(req, this.clock.now()));
  }

  /** A question to the edge node itself (docs/link.md "Edge queries"): a call its modules answer. */
  private async edgeQuery(req: CloudRequests['edge.query']['request']): Promise<unknown> {
    return decodeQueryAnswer(await this.call(req.node, req.timeoutMs, buildEdgeQuery(req, this.clock.now())));
  }

  private call(
    node: string,
    timeoutMs: number,
    { message, text, what }: { message: Message; text: string; what: string },
  ): Promise<ServiceCallResponse> {
    const conn = this.conns.get(node);
    if (!conn || conn.closed) {
      this.metrics!.serviceCalls.inc({ outcome: 'not_connected' });
      return Promise.reject(cloudhubErrors.create('KEDGE_CLOUDHUB_NOT_CONNECTED', `node ${node} is not connected`));
    }
    const limit = this.options.maxPayloadBytes;
    if (Buffer.byteLength(text) > limit) {
      this.metrics!.serviceCalls.inc({ outcome: 'too_large' });
      return Promise.reject(
        cloudhubErrors.create(
          'KEDGE_CLOUDHUB_CALL_TOO_LARGE',
          `${what} is ${Buffer.byteLength(text)} bytes as a frame; a frame carries at most ${limit}`,
        ),
      );
    }
    try {
      const answer = this.calls!.open(node, message.header.msg_id, conn, timeoutMs, what);
      this.sendText(conn.ws, text);
      return answer;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A Pod log stream: sent at once on the node's connection; fails at once when it is away. */
  private openLogs(req: CloudRequests['podlogs.open']['request']): { streamId: string } {
    const conn = this.conns.get(req.node);
    if (!conn || conn.closed)
      throw cloudhubErrors.create(
        'KEDGE_CLOUDHUB_NOT_CONNECTED',
        `node ${req.node} is not connected: its logs cannot be read now`,
      );
    return this.logStreams!.open(req, conn, (text) => this.sendText(conn.ws, text));
  }

  private closeLogs(streamId: string): void {
    const owner = this.logStreams?.ownerOf(streamId);
    const conn = owner ? this.conns.get(owner.node) : undefined;
    const live = conn && !conn.closed && conn === owner?.owner ? conn : undefined;
    this.logStreams?.close(streamId, live ? (text) => this.sendText(live.ws, text) : undefined);
  }

  private upstream(conn: Connection, msg: Message): void {
    const { node } = conn;
    const id = msg.header.msg_id;
    const flightKey = `${node}\u0000${id}`;
    // In flight first: a handler may have claimed the id already while its publish is under way,
    // and the copy must wait for that publish like the original does.
    const copies = this.inflight.get(flightKey);
    if (copies !== undefined) {
      this.metrics!.duplicates.inc();
      this.inflight.set(flightKey, copies + 1);
      return;
    }
    if (this.dedupe!.has(node, id)) {
      this.metrics!.duplicates.inc();
      this.answer(node, msg, { ok: true });
      return;
    }
    const res = parseResource(msg.route.resource ?? '');
    const problem = !res?.name
      ? `resource "${msg.route.resource ?? ''}" is not <namespace>/<type>/<name>`
      : !UPSTREAM.has(res.type)
        ? `resource type "${res.type}" is not handled by the cloud`
        : res.node !== undefined && res.node !== node
          ? `resource names node ${res.node} but the connection is node ${node}`
          : undefined;
    const request = res ? UPSTREAM.get(res.type) : undefined;
    if (problem || !res || !request) {
      // A resource of another node is a node speaking for another: counted apart from version skew.
      const otherNode = res?.node !== undefined && res.node !== node;
      this.metrics!.rejected.inc({ reason: otherNode ? 'other_node' : 'unknown_resource' });
      this.log.warn(
        { node, msgId: id, resource: msg.route.resource, code: 'KEDGE_CLOUDHUB_UNKNOWN_RESOURCE' },
        problem,
      );
      this.inflight.set(flightKey, 0);
      void this.finish(conn, msg, { ok: false, reason: problem }, flightKey)
        .catch((err: unknown) => this.log.warn({ node, err: errorText(err) }, 'refusal not recorded'))
        .finally(() => this.inflight.delete(flightKey));
      return;
    }
    this.inflight.set(flightKey, 0);
    this.chain
      .run(`${node}/${res.namespace}/${res.name}`, async () => {
        let claimed = false;
        try {
          // The edge resends it on its next connection, in order. If that connection is here already,
          // its resend was counted as a copy of this one in flight (above) and waits for it: handle
          // it now and answer there, or the resend stays unanswered until yet another connection and
          // later messages of the device overtake it (issue 19's crash test saw both).
          const current = this.conns.get(node);
          if (!current || current.closed) return;
          const claim = async () => {
            await this.dedupe!.claim(node, id);
            claimed = true;
          };
          const result = await this.options.bus.request(
            request,
            { node, message: msg, resource: { namespace: res.namespace, type: res.type, name: res.name! }, claim },
            this.options.handleTimeoutMs ?? NO_LIMIT_MS,
          );
          await this.finish(conn, msg, result, flightKey);
        } catch (err) {
          // Not handled after all: the resend must be, so the claim goes (before the edge can resend).
          if (claimed) await this.forgetClaim(node, id);
          this.metrics!.handlerFailures.inc();
          const reason = `message ${id} (${msg.route.resource}) not handled: ${errorText(err)}`;
          this.log.warn({ node, code: 'KEDGE_CLOUDHUB_HANDLER_FAILED' }, reason);
          // Later messages of this device must not overtake it: end the connection, the edge resends.
          this.closeConn(conn, CLOSE.internal, reason, true);
        } finally {
          this.inflight.delete(flightKey);
        }
      })
      .catch((err: unknown) => this.log.error({ node, err: errorText(err) }, 'upstream message not handled'));
  }

  private async forgetClaim(node: string, id: string): Promise<void> {
    try {
      await this.dedupe!.forget(node, id);
    } catch (err) {
      this.log.error(
        { node, msgId: id, err: errorText(err) },
        `message ${id} failed after it was claimed and the claim could not be removed: its resend will not be handled`,
      );
    }
  }

  private async finish(conn: Connection, msg: Message, result: AckContent, flightKey: string): Promise<void> {
    await this.dedupe!.add(conn.node, msg.header.msg_id);
    const copies = 1 + (this.inflight.get(flightKey) ?? 0);
    for (let i = 0; i < copies; i++) this.answer(conn.node, msg, result);
  }

  /** Acknowledges on the node's current connection (a replaced one may be gone by now). */
  private answer(node: string, msg: Message, content: AckContent): void {
    const conn = this.conns.get(node);
    if (!conn || conn.closed) return;
    this.sendText(conn.ws, serializeMessage(buildResponse(msg, this.name, content, this.clock.now())));
  }

  /**
   * Sends one frame, coalescing the frames of one event-loop turn into one socket write: acks
   * come in bursts (a whole dedupe batch at once), and a write per ack made the syscalls the
   * largest cost of the upstream path. `_socket` is ws's own field; without it frames go one by one.
   */
  private sendText(ws: WebSocket, text: string): void {
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    if (socket?.cork && socket.uncork && !this.corked.has(ws)) {
      socket.cork();
      this.corked.add(ws);
      setImmediate(() => {
        this.corked.delete(ws);
        socket.uncork!();
      });
    }
    ws.send(text);
  }

  private send(item: DownstreamItem): void {
    // A node receives only its own objects: whatever a controller hands over for another node's
    // resource is a bug, and is dropped here rather than leaked.
    const target = parseResource(item.message.route.resource ?? '')?.node;
    if (target !== item.node) {
      this.metrics!.rejected.inc({ reason: 'downstream_other_node' });
      this.log.error(
        { node: item.node, resource: item.message.route.resource, code: 'KEDGE_CLOUDHUB_NOT_OWNER' },
        `not sent to node ${item.node}: the object ${item.message.route.resource} is not that node's`,
      );
      return;
    }
    this.queues!.enqueue(item);
    const conn = this.conns.get(item.node);
    if (conn && !conn.closed) this.write(conn, item);
  }

  private write(conn: Connection, item: DownstreamItem): void {
    this.queues!.markSent(item);
    this.metrics!.sent.inc();
    this.sendText(conn.ws, serializeMessage(item.message));
  }

  private reject(conn: Connection, reason: string): void {
    this.metrics!.rejected.inc({ reason: 'malformed' });
    this.log.warn(
      { node: conn.node, code: 'KEDGE_CLOUDHUB_MALFORMED_FRAME' },
      `closing the connection of node ${conn.node}: ${reason}`,
    );
    this.closeConn(conn, CLOSE.invalid, reason, true);
  }

  private onSocketError(conn: Connection, err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.metrics!.rejected.inc({ reason: 'too_big' });
      this.log.warn(
        { node: conn.node, code: 'KEDGE_CLOUDHUB_FRAME_TOO_BIG' },
        `closing the connection of node ${conn.node}: frame larger than ${this.options.maxPayloadBytes} bytes`,
      );
    } else {
      this.metrics!.rejected.inc({ reason: 'protocol' });
      this.log.warn(
        { node: conn.node, err: err.message },
        `WebSocket error on node ${conn.node}; the connection is closed`,
      );
    }
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    conn.closed = true;
    if (this.conns.get(conn.node) !== conn) return;
    this.conns.delete(conn.node);
    this.queues!.disconnected(conn.node);
    this.dedupe!.release(conn.node);
    this.releaseClaim(conn.node);
    this.calls!.failOwner(conn, reason || `closed with code ${code}`);
    this.logStreams!.failOwner(conn, reason || `closed with code ${code}`);
    this.log.info({ node: conn.node, code, reason }, 'node disconnected');
    this.options.bus.publish('link.disconnected', {
      node: conn.node,
      reason: reason || `closed with code ${code}`,
      ts: this.clock.now(),
    });
  }

  /** Closes a connection; when `current` it is also the node's connection and the node goes away now. */
  private closeConn(conn: Connection, code: number, reason: string, current: boolean): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.ws.close(code, truncateReason(reason));
    // Answers to calls sent on this connection could only come on it: they never will.
    this.calls!.failOwner(conn, reason);
    this.logStreams!.failOwner(conn, reason);
    if (current && this.conns.get(conn.node) === conn) {
      this.conns.delete(conn.node);
      this.queues!.disconnected(conn.node);
      this.dedupe!.release(conn.node);
      this.releaseClaim(conn.node);
      this.options.bus.publish('link.disconnected', { node: conn.node, reason, ts: this.clock.now() });
    }
  }

  /** A revoked node's connection ends now; its reconnects are refused at the upgrade. */
  private revoked(node: string): void {
    const conn = this.conns.get(node);
    if (conn) this.closeConn(conn, CLOSE.revoked, `node ${node} was revoked`, true);
  }

  /** Closes a node's connection on request (its Node was deleted); it may connect again. */
  private disconnect(node: string, reason: string): void {
    const conn = this.conns.get(node);
    if (!conn) return;
    this.log.warn({ node, reason }, `closing the connection of node ${node}: ${reason}`);
    this.closeConn(conn, CLOSE.disconnected, reason, true);
  }

  private releaseClaim(node: string): void {
    this.presence
      .release(node)
      .catch((err: unknown) => this.log.debug({ node, err: errorText(err) }, 'claim not released'));
  }

  private sweep(timeoutMs: number): void {
    const now = this.clock.now();
    for (const conn of [...this.conns.values()]) {
      if (conn.notAfter !== undefined && now >= conn.notAfter) {
        this.log.warn({ node: conn.node }, `node ${conn.node}: its certificate expired; connection closed`);
        this.closeConn(
          conn,
          CLOSE.certificateExpired,
          'certificate expired: renew it (the edge does before expiry)',
          true,
        );
        continue;
      }
      if (now - conn.lastSeen <= timeoutMs) continue;
      this.metrics!.timeouts.inc();
      this.log.warn(
        { node: conn.node, silentMs: now - conn.lastSeen },
        `node ${conn.node}: no frame for ${timeoutMs} ms, not ready`,
      );
      this.closeConn(conn, CLOSE.keepalive, `keepalive timeout (${timeoutMs} ms)`, true);
    }
  }
}

/** A close reason is at most 123 bytes (RFC 6455). */
function truncateReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  if (buf.length <= 123) return reason;
  return `${buf
    .subarray(0, 119)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}...`;
}
