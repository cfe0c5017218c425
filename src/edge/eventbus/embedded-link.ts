import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import { AckGate } from './ack-gate.js';
import type { BrokerAccess } from './broker-access.js';
import { BrokerGuard, type BrokerLimits } from './broker-guard.js';
import { eventbusErrors } from './errors.js';
import type { BrokerLink, Ingest } from './link.js';
import { isIngressTopic, topicMatches } from './topics.js';
import { closeServer, listen } from '../../core/net/index.js';

/**
 * The embedded broker (aedes, MQTT 3.1.1) on 127.0.0.1. Ingress is handled in aedes's
 * `authorizePublish` hook, before aedes writes a QoS 1 PUBACK. The client's AckGate keeps that
 * PUBACK (and what follows it on the socket) until the message's writes are committed, so a PUBACK
 * a mapper receives means the value is in SQLite, while aedes goes on reading the mapper's next
 * publishes. Outgoing messages are published in-process.
 */
export class EmbeddedBrokerLink implements BrokerLink {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly gates = new WeakMap<Socket, AckGate>();
  private boundPort = 0;
  /** Filters per client, and per topic whether any matches (cleared on every (un)subscribe). */
  private readonly filters = new Map<string, Set<string>>();
  private readonly wanted = new Map<string, boolean>();

  private guard: BrokerGuard | undefined;

  constructor(
    private readonly options: {
      port: number;
      host?: string;
      logger: Logger;
      limits: BrokerLimits;
      /** Accounts, ACLs and the anonymous policy (broker-access.ts); without it anyone may do anything. */
      access?: BrokerAccess;
    },
  ) {}

  /** What the guard refused so far (tests, metrics). */
  get refused(): BrokerGuard['refused'] | undefined {
    return this.guard?.refused;
  }

  get url(): string {
    return `mqtt://${this.options.host ?? '127.0.0.1'}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(ingest: Ingest): Promise<void> {
    const logger = this.options.logger;
    noNumberCache();
    const access = this.options.access?.enforcing ? this.options.access : undefined;
    const guard = new BrokerGuard(this.options.limits, logger);
    this.guard = guard;
    const broker = new Aedes({
      ...(access
        ? {
            authenticate: (client, username, password, done) =>
              void access
                .authenticate(client.id, username, password, client.conn as unknown as Socket)
                .then((ok) => done(null, ok)),
            authorizeSubscribe: (client, sub, done) =>
              done(null, !client || access.canSubscribe(client.id, sub.topic) ? sub : null),
          }
        : {}),
      authorizePublish: (client, packet, callback) => {
        if (!client) return callback(null); // the edge's own publishes
        if (access && !access.canPublish(client.id, packet.topic))
          return callback(new Error(`not allowed to publish on ${packet.topic}`));
        const verdict = guard.check(packet.topic, packet.payload as Buffer, packet.retain, client.id);
        if (verdict === 'refuse') return callback(new Error(`publish on ${packet.topic} refused`));
        if (verdict === 'unretain') packet.retain = false;
        if (!isIngressTopic(packet.topic)) return callback(null);
        let wait: Promise<void> | undefined;
        try {
          wait = ingest(packet.topic, packet.payload as Buffer);
        } catch (err) {
          logger.error({ topic: packet.topic, err: errorText(err) }, 'ingress handler failed');
        }
        if (!wait) return callback(null);
        // QoS 0 promises nothing; a failed commit is logged by the batcher.
        if (packet.qos === 0) {
          void wait.catch(() => undefined);
          return callback(null);
        }
        // A failed commit makes the gate close the connection; the mapper then sends its
        // unacknowledged publishes again.
        this.gateOf(client.conn as unknown as Socket).hold(wait);
        callback(null);
      },
    });
    await broker.listen();
    broker.on('clientError', (client, err) =>
      logger.debug({ client: client.id, err: err.message }, 'mqtt client error'),
    );
    broker.on('subscribe', (subs, client) => {
      const set = this.filters.get(client.id) ?? new Set<string>();
      for (const s of subs) set.add(s.topic);
      this.filters.set(client.id, set);
      this.wanted.clear();
    });
    broker.on('unsubscribe', (topics, client) => {
      for (const t of topics) this.filters.get(client.id)?.delete(t);
      this.wanted.clear();
    });
    broker.on('clientDisconnect', (client) => {
      access?.forget(client.id);
      this.filters.delete(client.id);
      this.wanted.clear();
    });
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      guard.limitPackets(socket, () => `${socket.remoteAddress}:${socket.remotePort}`);
      broker.handle(socket);
    });
    this.boundPort = await listen(server, this.options.port, this.options.host ?? '127.0.0.1', (err, where) =>
      eventbusErrors.create('KEDGE_EVENTBUS_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err }),
    ).catch(async (err: unknown) => {
      await new Promise<void>((r) => broker.close(() => r()));
      throw err;
    });
    this.broker = broker;
    this.server = server;
  }

  /** The client's gate, made with its first held message (before aedes writes that PUBACK). */
  private gateOf(socket: Socket): AckGate {
    let gate = this.gates.get(socket);
    if (!gate) this.gates.set(socket, (gate = new AckGate(socket)));
    return gate;
  }

  publish(topic: string, payload: Buffer | string, options: { retain: boolean; qos: 0 | 1 }): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (options.retain) this.guard?.noteOwnRetained(topic, body);
    const packet = {
      cmd: 'publish',
      topic,
      payload: body,
      qos: options.qos,
      retain: options.retain,
      dup: false,
    } as AedesPublishPacket;
    this.broker?.publish(packet, (err) => {
      if (err) this.options.logger.warn({ topic, err: err.message }, 'publish failed');
    });
  }

  wants(topic: string): boolean {
    let known = this.wanted.get(topic);
    if (known === undefined) {
      known = false;
      for (const set of this.filters.values()) for (const f of set) if (topicMatches(f, topic)) known = true;
      // Bounded: topics are per device and property kind; a flood of odd topics only resets it.
      if (this.wanted.size > 10_000) this.wanted.clear();
      this.wanted.set(topic, known);
    }
    return known;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    for (const s of this.sockets) s.destroy();
    if (server) await closeServer(server);
  }
}

/**
 * mqtt-packet (aedes' packet writer) otherwise fills a cache of 65,536 two-byte Buffers on its
 * first write: ~6 MB of heap (measured in the edge's heap snapshot, bench/RESULTS.md "Edge node"),
 * a tenth of the edge's RSS target, to save one tiny allocation per packet. The setting is the
 * module's own global (mqtt.js' `writeCache: false` sets the same one); it must be set before the
 * first packet is written, since the cache is never freed. Loaded through aedes so that it is the
 * copy aedes writes with.
 */
function noNumberCache(): void {
  const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
  (fromAedes('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } }).writeToStream.cacheNumbers = false;
}
