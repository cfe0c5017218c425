import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EdgeChannels, EdgeRequests } from '../../../contracts/index.js';
import { Bus } from '../../../core/bus/index.js';
import { systemClock } from '../../../core/clock/index.js';
import { silentLogger } from '../../../core/log/index.js';
import { buildResponse, parseMessage, serializeMessage, type Message } from '../../../core/message/index.js';
import { createMetricsRegistry, type Registry } from '../../../core/metrics/index.js';
import { DbHandle, SqliteOutboxStore } from '../../store/index.js';
import { createEdgeHub, type EdgeHub, type EdgeHubDeps } from '../index.js';

/**
 * A minimal cloud for EdgeHub tests: accepts WebSockets on 127.0.0.1, records every message and
 * the path, and acknowledges uploads when `autoAck` is set.
 */
export class FakeCloud {
  readonly received: Message[] = [];
  readonly paths: string[] = [];
  /** The Authorization header of each connection ('' when none). */
  readonly authorizations: string[] = [];
  readonly sockets: WebSocket[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  autoAck = true;
  readonly port: number;
  private stopped = false;
  private constructor(
    private readonly wss: WebSocketServer,
    readonly maxPayload: number,
  ) {
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws, req) => {
      this.paths.push(req.url ?? '');
      this.authorizations.push(req.headers.authorization ?? '');
      this.sockets.push(ws);
      ws.on('message', (data) => {
        const parsed = parseMessage(data as Buffer);
        if (!parsed.ok) return;
        this.received.push(parsed.message);
        const op = parsed.message.route.operation;
        if (this.autoAck && op !== 'keepalive' && op !== 'response') this.ack(parsed.message);
      });
      ws.on('close', (code, reason) => this.closes.push({ code, reason: reason.toString() }));
    });
  }

  static async start(maxPayload = 1024 * 1024): Promise<FakeCloud> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeCloud(wss, maxPayload);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get current(): WebSocket | undefined {
    return this.sockets.filter((s) => s.readyState === s.OPEN).at(-1);
  }

  uploads(): Message[] {
    return this.received.filter((m) => m.route.operation !== 'keepalive' && m.route.operation !== 'response');
  }

  ack(msg: Message, content: unknown = { ok: true }): void {
    this.current?.send(serializeMessage(buildResponse(msg, 'cloudhub', content)));
  }

  send(msg: Message | string): void {
    this.current?.send(typeof msg === 'string' ? msg : serializeMessage(msg));
  }

  dropConnections(): void {
    for (const s of this.sockets) s.terminate();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dropConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * What every EdgeHub test starts from: a fake cloud, an in-memory outbox, a bus and a registry;
 * startHub() creates and starts the hub with the tests' defaults (node edge-1, fast back-off).
 */
export class HubHarness {
  hub: EdgeHub | undefined;

  private constructor(
    readonly cloud: FakeCloud,
    readonly handle: DbHandle,
    readonly outbox: SqliteOutboxStore,
    readonly bus: Bus<EdgeChannels, EdgeRequests>,
    readonly registry: Registry,
  ) {}

  static async start(): Promise<HubHarness> {
    const cloud = await FakeCloud.start(64 * 1024);
    const handle = new DbHandle(':memory:');
    handle.open();
    return new HubHarness(
      cloud,
      handle,
      new SqliteOutboxStore(handle, { clock: systemClock }),
      new Bus({ logger: silentLogger() }),
      createMetricsRegistry(),
    );
  }

  async startHub(over: Partial<EdgeHubDeps> = {}): Promise<EdgeHub> {
    const { bus, outbox, registry, cloud } = this;
    this.hub = createEdgeHub({
      bus,
      outbox,
      logger: silentLogger(),
      registry,
      cloudUrl: cloud.url,
      node: 'edge-1',
      backoff: { initialMs: 20, maxMs: 100 },
      ...over,
    });
    await this.hub.start();
    return this.hub;
  }

  async stopHub(): Promise<void> {
    await this.hub?.stop();
    this.hub = undefined;
  }

  async close(): Promise<void> {
    await this.stopHub();
    await this.cloud.stop();
    this.handle.close();
  }
}
