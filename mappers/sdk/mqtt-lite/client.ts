import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import {
  DISCONNECT,
  PINGREQ,
  PacketError,
  PacketType,
  decodeConnack,
  decodeEncodedPublish,
  decodeMessageId,
  decodePublish,
  decodeSuback,
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  withDup,
  type ConnectOptions,
  type RawPacket,
} from './packets.js';
import { PacketReader } from './reader.js';

export interface MqttEvents {
  connect: [];
  offline: [];
  message: [topic: string, payload: Buffer];
  error: [err: Error];
}

/** What the mapper runtime needs from an MQTT client; this one and the mqtt.js adapter both give it. */
export interface MapperMqtt extends EventEmitter<MqttEvents> {
  readonly connected: boolean;
  /**
   * QoS 1: `done` runs on the PUBACK. Not connected (or too much waiting for PUBACKs): `done` gets
   * an error at once, nothing is queued, and the result is false.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    options: { qos: 0 | 1; retain?: boolean },
    done: (err?: Error) => void,
  ): boolean;
  subscribe(topics: readonly string[], qos: 0 | 1, done: (err?: Error) => void): void;
  /** Sends DISCONNECT (so the broker does not publish the will) and stops reconnecting. */
  end(): Promise<void>;
  /**
   * QoS 1 messages sent and not acknowledged (they go again after a reconnect), oldest first:
   * what a mapper stopping while its broker is away keeps for its next run. Clients that keep no
   * such list (mqtt.js) leave it out.
   */
  unacknowledged?(): Array<{ topic: string; payload: Buffer }>;
}

export interface LiteClientOptions extends Omit<ConnectOptions, 'keepaliveSeconds'> {
  host: string;
  port: number;
  keepaliveSeconds?: number;
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
  /** Inbound packets larger than this close the connection (a retained device set is the largest). */
  maxPacketBytes?: number;
  /** QoS 1 messages waiting for a PUBACK, in bytes, before publish() fails (default 16 MB). */
  maxInFlightBytes?: number;
}

interface InFlight {
  packet: Buffer;
  done: (err?: Error) => void;
}

// Packet identifiers are 16 bits; this leaves room for subscriptions.
const MAX_IN_FLIGHT = 60_000;
// QoS 1 messages kept for a PUBACK (and a resend): 16 MB is 15 s of a 10,000 readings/s mapper
// whose broker stopped acknowledging; past it a publish fails (and is counted) instead of growing.
const DEFAULT_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

const REFUSED = [
  '',
  'unacceptable protocol version',
  'identifier rejected',
  'server unavailable',
  'bad user name or password',
  'not authorized',
];

/**
 * A small MQTT 3.1.1 client over one TCP socket, for mappers talking to the edge's broker on
 * loopback. Why not mqtt.js here: it costs a mapper 5-7 MB of RSS (its own copy of Node's
 * streams, browser timer shims, caches) and a deep per-publish path, and the mapper uses a small
 * part of it (bench/RESULTS.md, "Modbus"). mqtt.js still serves every other URL (TLS, WebSocket).
 *
 * Behaviour kept from mqtt.js as the mapper used it: clean sessions; reconnect every
 * `reconnectPeriodMs`; QoS 1 messages still unacknowledged when the connection drops are sent
 * again with DUP after the reconnect, before 'connect' is emitted; keepalive pings; the will.
 * Different on purpose: publishing while disconnected fails at once instead of queueing in memory.
 */
export class LiteMqttClient extends EventEmitter<MqttEvents> implements MapperMqtt {
  private socket: Socket | undefined;
  private isConnected = false;
  private ended = false;
  private readonly reader: PacketReader;
  private readonly inFlight = new Map<number, InFlight>();
  private inFlightBytes = 0;
  private readonly subscribing = new Map<number, (err?: Error) => void>();
  private lastId = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private writes = 0;
  private awaitingPong = false;

  constructor(private readonly options: LiteClientOptions) {
    super();
    this.reader = new PacketReader(options.maxPacketBytes ?? 64 * 1024 * 1024);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Opens the first connection; failures are reported as 'error' events and retried. */
  start(): this {
    this.open();
    return this;
  }

  publish(
    topic: string,
    payload: Buffer | string,
    options: { qos: 0 | 1; retain?: boolean },
    done: (err?: Error) => void,
  ): boolean {
    const socket = this.socket;
    if (!this.isConnected || !socket) {
      done(this.notConnected());
      return false;
    }
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (options.qos === 0) {
      this.write(encodePublish(topic, body, 0, options.retain ?? false, 0));
      done();
      return true;
    }
    const limit = this.options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    if (this.inFlight.size >= MAX_IN_FLIGHT || this.inFlightBytes + body.length > limit) {
      done(
        new Error(
          `${this.inFlight.size} messages (${this.inFlightBytes} bytes) already wait for a PUBACK from ${this.options.host}:${this.options.port}; the limit is ${limit} bytes`,
        ),
      );
      return false;
    }
    const id = this.nextId();
    const packet = encodePublish(topic, body, 1, options.retain ?? false, id);
    this.inFlight.set(id, { packet, done });
    this.inFlightBytes += packet.length;
    this.write(packet);
    return true;
  }

  unacknowledged(): Array<{ topic: string; payload: Buffer }> {
    // A Map keeps insertion order: the order they were sent in.
    return [...this.inFlight.values()].map((f) => {
      const p = decodeEncodedPublish(f.packet);
      return { topic: p.topic, payload: p.payload };
    });
  }

  subscribe(topics: readonly string[], qos: 0 | 1, done: (err?: Error) => void): void {
    if (!this.isConnected) {
      done(this.notConnected());
      return;
    }
    const id = this.nextId();
    this.subscribing.set(id, done);
    this.write(encodeSubscribe(id, topics, qos));
  }

  async end(): Promise<void> {
    this.ended = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      if (!this.isConnected) return void socket.destroy();
      socket.end(DISCONNECT);
      // The broker closes on DISCONNECT; one that does not is not waited for.
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  private open(): void {
    const o = this.options;
    const socket = createConnection({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.reader.reset();
    socket.on('connect', () => socket.write(encodeConnect({ ...o, keepaliveSeconds: o.keepaliveSeconds ?? 60 })));
    socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => this.closed(socket));
    this.connectTimer = setTimeout(() => {
      this.emit('error', new Error(`no CONNACK from ${o.host}:${o.port} within ${o.connectTimeoutMs} ms`));
      socket.destroy();
    }, o.connectTimeoutMs);
  }

  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    this.socket = undefined;
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    for (const [id, done] of this.subscribing) {
      this.subscribing.delete(id);
      done(new Error('connection closed before SUBACK'));
    }
    if (this.ended) {
      for (const [id, f] of this.inFlight) {
        this.inFlight.delete(id);
        f.done(new Error('client ended before PUBACK'));
      }
      this.inFlightBytes = 0;
      return;
    }
    if (wasConnected) this.emit('offline');
    this.reconnectTimer = setTimeout(() => this.open(), this.options.reconnectPeriodMs);
  }

  private receive(socket: Socket, chunk: Buffer): void {
    try {
      this.reader.push(chunk, (p) => this.handle(socket, p));
    } catch (err) {
      // A malformed stream cannot be resynchronised: drop the connection and reconnect.
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      socket.destroy();
    }
  }

  private handle(socket: Socket, p: RawPacket): void {
    switch (p.type) {
      case PacketType.Connack:
        return this.onConnack(socket, p);
      case PacketType.Publish:
        return this.onPublish(p);
      case PacketType.Puback:
        return this.onPuback(p);
      case PacketType.Suback:
        return this.onSuback(p);
      case PacketType.Pingresp:
        this.awaitingPong = false;
        return;
      default:
        throw new PacketError(`unexpected MQTT packet type ${p.type} from the broker`);
    }
  }

  private onConnack(socket: Socket, p: RawPacket): void {
    clearTimeout(this.connectTimer);
    const { returnCode } = decodeConnack(p);
    if (returnCode !== 0) {
      this.emit(
        'error',
        new Error(`MQTT broker refused the connection: ${REFUSED[returnCode] ?? `return code ${returnCode}`}`),
      );
      socket.destroy();
      return;
    }
    this.isConnected = true;
    this.startPings();
    // In-flight QoS 1 messages of the last connection go first, in their order, flagged DUP.
    for (const f of this.inFlight.values()) {
      f.packet = withDup(f.packet);
      this.write(f.packet);
    }
    this.emit('connect');
  }

  private onPublish(p: RawPacket): void {
    const message = decodePublish(p);
    if (message.qos === 2)
      throw new PacketError(`QoS 2 PUBLISH on ${message.topic}: this client subscribes with QoS 1 at most`);
    if (message.qos === 1) this.write(encodePuback(message.messageId!));
    try {
      this.emit('message', message.topic, message.payload);
    } catch (err) {
      // A listener's bug is not a protocol error: report it and keep the connection.
      this.emit(
        'error',
        new Error(`message handler for ${message.topic} threw: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  }

  private onPuback(p: RawPacket): void {
    const id = decodeMessageId(p, 'PUBACK');
    const f = this.inFlight.get(id);
    if (!f) return; // a late PUBACK for a message already acknowledged (a DUP resend)
    this.inFlight.delete(id);
    this.inFlightBytes -= f.packet.length;
    f.done();
  }

  private onSuback(p: RawPacket): void {
    const { messageId, granted } = decodeSuback(p);
    const done = this.subscribing.get(messageId);
    if (!done) return;
    this.subscribing.delete(messageId);
    done(granted.includes(0x80) ? new Error('MQTT broker refused a subscription') : undefined);
  }

  /**
   * Keepalive, checked every half period: a PINGREQ when nothing went out during the last half
   * (so the broker never waits more than one period for a packet; it may close after 1.5), and
   * the connection dropped when the PINGRESP has not come a full period after the PINGREQ.
   */
  private startPings(): void {
    const seconds = this.options.keepaliveSeconds ?? 60;
    if (seconds === 0) return;
    let seenWrites = this.writes;
    let waitedTicks = 0;
    this.awaitingPong = false;
    this.pingTimer = setInterval(
      () => {
        if (this.awaitingPong) {
          if (++waitedTicks < 2) return;
          this.emit(
            'error',
            new Error(`no PINGRESP from ${this.options.host}:${this.options.port} within ${seconds} s`),
          );
          this.socket?.destroy();
          return;
        }
        if (this.writes === seenWrites) {
          this.awaitingPong = true;
          waitedTicks = 0;
          this.write(PINGREQ);
        }
        seenWrites = this.writes;
      },
      (seconds * 1000) / 2,
    );
    this.pingTimer.unref();
  }

  private write(packet: Buffer): void {
    this.writes++;
    this.socket?.write(packet);
  }

  private notConnected(): Error {
    return new Error(`not connected to the MQTT broker ${this.options.host}:${this.options.port}`);
  }

  /** Packet identifiers 1-65535, skipping those still waiting for an answer. */
  private nextId(): number {
    do this.lastId = this.lastId === 0xffff ? 1 : this.lastId + 1;
    while (this.inFlight.has(this.lastId) || this.subscribing.has(this.lastId));
    return this.lastId;
  }
}
