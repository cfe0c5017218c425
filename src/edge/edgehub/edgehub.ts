import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocket, type RawData } from 'ws';
import {
  isEdgeQuery,
  isServiceCall,
  LINK_MAX_FRAME_BYTES,
  LINK_PROJECT,
  LINK_STORE_HEADER,
  type EdgeChannels,
  type EdgeRequests,
  type LinkStateEvent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { systemClock, type Clock, type Timer } from '../../core/clock/index.js';
import {
  newMessage,
  Operation,
  parseMessage,
  serializeMessage,
  type Message,
  type MessageRoute,
} from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { bearer, readTokenFile } from '../../core/token/index.js';
import { Backoff } from '../../core/async/index.js';
import { edgehubErrors } from './errors.js';
import { edgehubMetrics, type EdgehubMetrics } from './metrics.js';
import { DEFAULT_SENDER, OutboxSender, type SenderOptions, type SenderOutbox } from './sender.js';
import { LogRelay } from './log-relay.js';
import { runEdgeQuery } from './edge-query.js';
import { runServiceCall, serviceCallAnswer } from './service-call.js';

/** Reconnect delays: from 0.5 s doubling to 30 s, with equal jitter (docs/link.md). */
export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

export interface EdgeHubDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  outbox: SenderOutbox;
  logger: Logger;
  registry: Registry;
  /**
   * CloudHub, `ws://host:10000` (a path, if any, is replaced by `/<project>/<node>/events`), or a
   * comma-separated list of cloud replicas, tried in turn: each new attempt after a failed one or
   * a lost connection goes to the next URL.
   */
  cloudUrl: string;
  node: string;
  project?: string;
  /** A file holding the token CloudHub expects (sent as `Authorization: Bearer`); read at start. */
  tokenFile?: string;
  /**
   * The node's certificate, key and the CA the cloud's certificate must chain to (mutual TLS on a
   * wss:// link, src/edge/join); asked for at every connection, so a renewed certificate is used
   * from the next one on (see reconnect()).
   */
  tls?: () => { key: string; cert: string; ca: string };
  /**
   * The id of the node's store, presented with every connection (`x-kedge-store-id`): a store the
   * cloud has not synced (new, wiped, replaced) gets everything sent again (docs/link.md).
   */
  storeId?: () => string;
  clock?: Clock;
  /** Keepalive period (default 15 s, KubeEdge's). */
  keepaliveMs?: number;
  backoff?: { initialMs?: number; maxMs?: number; random?: () => number };
  /** A connection that lived this long resets the back-off (default 10 s). */
  stableAfterMs?: number;
  sender?: Partial<SenderOptions>;
  /** Largest frame accepted from the cloud (default LINK_MAX_FRAME_BYTES; bigger closes with 1009). */
  maxPayloadBytes?: number;
  handshakeTimeoutMs?: number;
}

const SOURCE = 'edgehub';
const CLOSE_INVALID = 1007;
const CLOSE_GOING_AWAY = 1001;

export function createEdgeHub(deps: EdgeHubDeps): EdgeHub {
  return new EdgeHub(deps);
}

/**
 * The edge end of the link (docs/link.md): one WebSocket to CloudHub, kept alive and reconnected
 * with jittered back-off; sends the outbox (acknowledged entries are deleted); puts the cloud's
 * messages on the bus as `cloud.inbound` and answers them when MetaManager says `cloud.ack`.
 */
export class EdgeHub implements Module {
  readonly name = SOURCE;
  readonly group = 'hub';
  private readonly clock: Clock;
  private readonly maxPayload: number;
  private readonly log: Logger;
  private ws: WebSocket | undefined;
  private corked: WebSocket | undefined;
  private urls: string[] = [];
  private urlIndex = 0;
  private token: string | undefined;
  private running = false;
  private sender: OutboxSender | undefined;
  private backoff: Backoff | undefined;
  private metrics: EdgehubMetrics | undefined;
  private keepaliveTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private openedAt = 0;
  /** Why the last attempt failed, in words (the close code of a socket that never opened is 1006). */
  private lastError: string | undefined;
  private unsubscribes: Array<() => void> = [];
  /** Cloud messages handed to MetaManager and not answered yet: msg_id -> route (for the response). */
  private readonly awaitingAck = new Map<string, MessageRoute>();
  private state: LinkStateEvent['state'] = 'disconnected';
  /** Set by reconnect(): the next connection is opened at once, not after a back-off. */
  private reconnecting: string | undefined;
  private logs: LogRelay | undefined;

  constructor(private readonly deps: EdgeHubDeps) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger.child({ module: SOURCE });
    this.maxPayload = deps.maxPayloadBytes ?? LINK_MAX_FRAME_BYTES;
  }

  /** The replica connected to or tried now. */
  private get url(): string {
    return this.urls[this.urlIndex] ?? '';
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Ready when the connection loop runs: the edge works offline, the outbox keeps everything. */
  async start(): Promise<void> {
    this.urls = hubUrls(this.deps.cloudUrl, this.deps.project ?? LINK_PROJECT, this.deps.node);
    this.urlIndex = 0;
    const d = this.deps;
    this.token = d.tokenFile === undefined ? undefined : readTokenFile(d.tokenFile, (w) => this.log.warn(w));
    this.metrics ??= edgehubMetrics(d.registry, () => ({
      connected: this.connected,
      inflight: this.sender?.inflightCount ?? 0,
    }));
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, random: Math.random, ...stripUndefined(d.backoff ?? {}) });
    this.sender = new OutboxSender(d.outbox, { ...DEFAULT_SENDER, ...stripUndefined(d.sender ?? {}) }, this.clock, {
      send: (entry) =>
        this.writeText(entry.body ?? serializeMessage(entry.message), () => {
          this.metrics!.sent.inc();
          this.metrics!.sentBytes.inc(entry.bytes);
        }),
      oversized: (entry) => {
        this.metrics!.oversized.inc();
        this.log.error(
          { code: 'KEDGE_EDGEHUB_ENTRY_TOO_BIG', key: entry.key, kind: entry.kind, bytes: entry.bytes },
          `outbox entry ${entry.id} (${entry.key}) removed: ${entry.bytes} bytes is more than a frame may carry`,
        );
      },
    });
    const me = { name: this.name, group: this.group };
    this.unsubscribes = [
      d.bus.subscribe('outbox.appended', me, () => this.sender?.schedule()),
      d.bus.subscribe('cloud.ack', me, (ack) => this.answerCloud(ack)),
    ];
    this.logs = new LogRelay(
      d.bus,
      d.node,
      () => this.clock.now(),
      (ws, text) => {
        this.corkThisTurn(ws);
        ws.send(text);
      },
    );
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribes) off();
    this.unsubscribes = [];
    this.logs?.stop();
    this.logs = undefined;
    this.clearTimers();
    this.sender?.disconnected();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) await closeSocket(ws);
    this.awaitingAck.clear();
    this.setState('disconnected', 'stopped');
  }

  private connect(): void {
    if (!this.running) return;
    this.setState('connecting');
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = bearer(this.token);
    const storeId = this.deps.storeId?.();
    if (storeId) headers[LINK_STORE_HEADER] = storeId;
    const ws = new WebSocket(this.url, {
      maxPayload: this.maxPayload,
      perMessageDeflate: false,
      handshakeTimeout: this.deps.handshakeTimeoutMs ?? 10_000,
      headers,
      ...(this.deps.tls ? this.deps.tls() : {}),
    });
    this.ws = ws;
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => this.onFrame(ws, data, isBinary));
    ws.on('error', (err: Error & { code?: string }) => this.onSocketError(ws, err));
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.openedAt = this.clock.now();
    this.metrics!.connects.inc();
    this.log.info({ url: this.url }, 'connected to the cloud');
    this.setState('connected');
    const every = this.deps.keepaliveMs ?? 15_000;
    this.keepaliveTimer = this.clock.setInterval(() => this.keepalive(), every);
    this.sender!.connected();
  }

  private keepalive(): void {
    const route = { source: SOURCE, group: 'hub', operation: Operation.keepalive, resource: `node/${this.deps.node}` };
    this.write(newMessage(route, 'ping', { now: this.clock.now() }));
  }

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.ws) return;
    if (isBinary) return this.rejectFrame(ws, 'malformed', 'binary frame: the link carries text frames (JSON) only');
    const parsed = parseMessage(data as Buffer);
    if (!parsed.ok) return this.rejectFrame(ws, 'malformed', parsed.error.message);
    const msg = parsed.message;
    const op = msg.route.operation;
    if (op === Operation.keepalive) return;
    if (op === Operation.response) return this.onCloudAck(msg);
    if (isServiceCall(msg)) return this.onServiceCall(ws, msg);
    if (LogRelay.isLogs(msg)) return this.logs?.onFrame(ws, msg);
    if (isEdgeQuery(msg)) return this.onEdgeQuery(ws, msg);
    this.metrics!.inbound.inc();
    this.awaitingAck.set(msg.header.msg_id, msg.route);
    this.deps.bus.publish('cloud.inbound', msg);
  }

  private onCloudAck(msg: Message): void {
    const parent = msg.header.parent_msg_id;
    if (!parent) return;
    const content = msg.content as { ok?: unknown; reason?: unknown } | null;
    const committedAt = this.sender!.acknowledged(parent);
    if (committedAt === undefined) return; // not ours (or already acknowledged): nothing to do
    this.metrics!.latency.observe(Math.max(0, this.clock.now() - committedAt) / 1000);
    if (content?.ok === false) {
      this.metrics!.refused.inc();
      this.log.warn(
        { code: 'KEDGE_EDGEHUB_REFUSED', msgId: parent, reason: String(content.reason ?? '') },
        `the cloud refused message ${parent} for good; removed from the outbox`,
      );
    } else {
      this.metrics!.acked.inc();
    }
  }

  /**
   * A live ServiceBus call: answered straight on the socket it came on, never through the outbox
   * (after a reconnect the cloud has given up on it; the answer would be worthless).
   */
  private onServiceCall(ws: WebSocket, msg: Message): void {
    void runServiceCall(this.deps.bus, msg).then((result) => {
      const code = result.error?.code ?? 'ok';
      this.metrics!.serviceCalls.inc({ code });
      if (result.error) {
        const level = result.status >= 500 ? 'warn' : 'info';
        this.log[level](
          { code, status: result.status, resource: msg.route.resource },
          `ServiceBus call refused: ${result.error.message}`,
        );
      }
      if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return; // the link dropped meanwhile: the cloud failed the call
      const maxFrame = this.deps.sender?.maxFrameBytes ?? DEFAULT_SENDER.maxFrameBytes;
      this.corkThisTurn(ws);
      ws.send(serviceCallAnswer(msg, result, this.clock.now(), maxFrame));
    });
  }

  /** A question from the cloud to this node's modules: answered like a ServiceBus call. */
  private onEdgeQuery(ws: WebSocket, msg: Message): void {
    void runEdgeQuery(this.deps.bus, msg).then((result) => {
      if (result.error)
        this.log.info(
          { code: result.error.code, resource: msg.route.resource },
          `edge query refused: ${result.error.message}`,
        );
      if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
      const maxFrame = this.deps.sender?.maxFrameBytes ?? DEFAULT_SENDER.maxFrameBytes;
      this.corkThisTurn(ws);
      ws.send(serviceCallAnswer(msg, result, this.clock.now(), maxFrame));
    });
  }

  /** MetaManager stored (or refused) an object from the cloud: tell the cloud. */
  private answerCloud(ack: EdgeChannels['cloud.ack']): void {
    const route = this.awaitingAck.get(ack.parentMsgId);
    this.awaitingAck.delete(ack.parentMsgId);
    if (!route || !this.connected) return; // the cloud resends it after the reconnect (ObjectSync)
    const content = ack.ok ? { ok: true } : { ok: false, reason: ack.reason ?? 'refused by the edge' };
    const response = newMessage({ ...route, source: SOURCE, operation: Operation.response }, content, {
      parentId: ack.parentMsgId,
      now: this.clock.now(),
    });
    this.write(response);
  }

  private rejectFrame(ws: WebSocket, reason: 'malformed' | 'too_big', text: string): void {
    this.metrics!.rejectedFrames.inc({ reason });
    const code = reason === 'malformed' ? 'KEDGE_EDGEHUB_MALFORMED_FRAME' : 'KEDGE_EDGEHUB_FRAME_TOO_BIG';
    this.log.warn({ code, url: this.url }, `closing the link: ${text}`);
    ws.close(CLOSE_INVALID, truncateReason(text));
  }

  private onSocketError(ws: WebSocket, err: Error & { code?: string }): void {
    if (ws !== this.ws) return;
    this.lastError = linkErrorInWords(err);
    const status = /Unexpected server response: (40[13])/.exec(err.message)?.[1];
    if (status && this.deps.tls) {
      this.log.warn(
        { code: 'KEDGE_EDGEHUB_UNAUTHORIZED', url: this.url, status: Number(status) },
        status === '401'
          ? `the cloud did not accept the certificate of node ${this.deps.node} (not joined to this cloud, or expired): join again (kedge edge join); retrying`
          : `the cloud refused node ${this.deps.node}: its certificate was revoked (kedge delete node) or names another node; retrying`,
      );
    } else if (status === '401') {
      this.log.warn(
        { code: 'KEDGE_EDGEHUB_UNAUTHORIZED', url: this.url },
        `the cloud refused node ${this.deps.node}: ${this.token ? "its token is not the cloud's" : 'the cloud wants a token (--token-file)'}; retrying`,
      );
    } else if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.metrics!.rejectedFrames.inc({ reason: 'too_big' });
      this.log.warn(
        { code: 'KEDGE_EDGEHUB_FRAME_TOO_BIG', url: this.url },
        `closing the link: the cloud sent a frame above ${this.maxPayload} bytes`,
      );
    } else {
      this.log.debug({ err: err.message, url: this.url }, 'link error');
    }
    // 'close' follows every 'error', and reconnects.
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    if (this.keepaliveTimer) this.clock.clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.sender!.disconnected();
    this.awaitingAck.clear();
    this.logs?.closed(ws);
    if (!this.running) return;
    this.metrics!.connectFailures.inc();
    const lived = this.openedAt > 0 ? this.clock.now() - this.openedAt : 0;
    if (lived >= (this.deps.stableAfterMs ?? 10_000)) this.backoff!.reset();
    this.openedAt = 0;
    const rotated = this.reconnecting;
    this.reconnecting = undefined;
    const delay = rotated ? 0 : this.backoff!.next();
    const why = reason || this.lastError || `closed with code ${code}`;
    this.lastError = undefined;
    const failed = this.url;
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    if (rotated) this.log.info({ url: failed, next: this.url }, `reconnecting: ${rotated}`);
    else
      this.log.warn(
        { url: failed, code, reason, retryInMs: delay, next: this.url },
        `link to the cloud down (${why}); reconnecting in ${delay} ms`,
      );
    this.setState('disconnected', why, delay);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  /**
   * Ends the connection and opens a new one at once (a renewed certificate is presented from the
   * new one on). Nothing is lost: unacknowledged outbox entries are sent again, with their ids.
   */
  reconnect(why: string): void {
    const ws = this.ws;
    if (!this.running || !ws) return;
    this.reconnecting = why;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, truncateReason(why));
  }

  private write(message: Message, sent?: () => void): void {
    this.writeText(serializeMessage(message), sent);
  }

  private writeText(text: string, sent?: () => void): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.corkThisTurn(ws);
    ws.send(text);
    sent?.();
  }

  /**
   * Holds the socket's writes until the next turn of the event loop, so that the frames of one
   * turn (a batch of outbox entries, several responses) leave in one write system call instead of
   * one each (as CloudHub does). ws has no public cork; its own per-frame cork/uncork nests.
   */
  private corkThisTurn(ws: WebSocket): void {
    if (this.corked === ws) return;
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    if (!socket?.cork || !socket.uncork) return;
    socket.cork();
    this.corked = ws;
    setImmediate(() => {
      if (this.corked === ws) this.corked = undefined;
      socket.uncork!();
    });
  }

  private setState(state: LinkStateEvent['state'], reason?: string, retryInMs?: number): void {
    if (state === this.state && state !== 'disconnected') return;
    this.state = state;
    const event: LinkStateEvent = { state, url: this.url, ts: this.clock.now() };
    if (reason) event.reason = reason;
    if (retryInMs !== undefined) event.retryInMs = retryInMs;
    this.deps.bus.publish('link.state', event);
  }

  private clearTimers(): void {
    if (this.keepaliveTimer) this.clock.clearInterval(this.keepaliveTimer);
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.keepaliveTimer = undefined;
    this.retryTimer = undefined;
  }
}

/**
 * A socket error as a person says it: "connection refused" (nothing listens at the address: the
 * cloud is down or the port is wrong), "host not found", "timed out"; else the error's message.
 */
export function linkErrorInWords(err: Error & { code?: string; address?: string; port?: number }): string {
  const at = err.address ? ` at ${err.address}${err.port ? `:${err.port}` : ''}` : '';
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused${at}: no kedge cloud listens there`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${err.message.replace(/^getaddrinfo \w+ /, '')})`;
    case 'ETIMEDOUT':
      return `connection timed out${at}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the cloud${at}`;
    case 'ECONNRESET':
      return 'connection reset by the cloud';
    default:
      return /Unexpected server response: 401/.test(err.message)
        ? 'refused with 401: wrong or missing token'
        : err.message;
  }
}

/** `ws://a:10000,ws://b:10000` -> each replica's hub URL (see hubUrl); at least one. */
export function hubUrls(cloud: string, project: string, node: string): string[] {
  const parts = cloud
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (parts.length === 0) throw edgehubErrors.create('KEDGE_EDGEHUB_BAD_URL', `--cloud "${cloud}" names no URL`);
  return parts.map((u) => hubUrl(u, project, node));
}

/** `ws://host:port[/...]` -> `ws://host:port/<project>/<node>/events`. */
export function hubUrl(cloud: string, project: string, node: string): string {
  let url: URL;
  try {
    url = new URL(cloud);
  } catch {
    throw edgehubErrors.create('KEDGE_EDGEHUB_BAD_URL', `--cloud "${cloud}" is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw edgehubErrors.create('KEDGE_EDGEHUB_BAD_URL', `--cloud "${cloud}" must start with ws:// or wss://`);
  }
  url.pathname = `/${encodeURIComponent(project)}/${encodeURIComponent(node)}/events`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(CLOSE_GOING_AWAY, 'edge stopping');
  });
}

function truncateReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  return buf.length <= 123
    ? reason
    : `${buf
        .subarray(0, 119)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
