import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** `edge.mqtt` limits of the embedded broker. */
export interface BrokerLimits {
  /** A packet from a client larger than this closes its connection before it is buffered. */
  maxPacketBytes: number;
  /** Retained topics kept at most; a retained publish on a new topic beyond it is delivered, not kept. */
  maxRetained: number;
  /** A retained payload larger than this is delivered, not kept. */
  maxRetainedBytes: number;
}

/** What the broker does with a client's publish. */
export type PublishVerdict = 'accept' | 'unretain' | 'refuse';

/** The topics only the edge itself publishes on (in-process): the mappers' device sets. */
const EDGE_ONLY = '$ke/mappers/';

/**
 * The embedded broker's rules for its clients (mappers, apps, anything on 127.0.0.1):
 *  - `$ke/mappers/...` (the device set a mapper converges to) comes from the edge only: a client's
 *    publish there is refused and the client disconnected (a forged retained set with a huge
 *    version stopped a mapper for good);
 *  - retained messages are bounded in count and size: beyond either the message is delivered but
 *    not kept (retained messages live in memory for the broker's life);
 *  - packets are bounded in size (`PacketLimit`): a 255 MB publish left the edge at 380 MB RSS.
 */
export class BrokerGuard {
  private readonly retained = new Set<string>();
  readonly refused = { controlTopic: 0, retainedCount: 0, retainedSize: 0, packetSize: 0 };

  constructor(
    private readonly limits: BrokerLimits,
    private readonly logger: Logger,
  ) {}

  /** A client's publish (never the edge's own, in-process ones). */
  check(topic: string, payload: Buffer, retain: boolean, clientId: string): PublishVerdict {
    if (topic.startsWith(EDGE_ONLY)) {
      this.refused.controlTopic++;
      this.logger.warn(
        { client: clientId, topic, code: 'KEDGE_EVENTBUS_FORBIDDEN_TOPIC' },
        `client ${clientId} published on ${topic}: only the edge publishes device sets; refused and disconnected`,
      );
      return 'refuse';
    }
    if (!retain) return 'accept';
    if (payload.length === 0) {
      this.retained.delete(topic); // clears the retained message
      return 'accept';
    }
    if (payload.length > this.limits.maxRetainedBytes) {
      this.refused.retainedSize++;
      this.warn(
        clientId,
        topic,
        `its ${payload.length} bytes are more than edge.mqtt.maxRetainedBytes (${this.limits.maxRetainedBytes})`,
      );
      return 'unretain';
    }
    if (!this.retained.has(topic) && this.retained.size >= this.limits.maxRetained) {
      this.refused.retainedCount++;
      this.warn(clientId, topic, `edge.mqtt.maxRetained (${this.limits.maxRetained}) topics are retained already`);
      return 'unretain';
    }
    this.retained.add(topic);
    return 'accept';
  }

  /** The edge's own retained publishes count too. */
  noteOwnRetained(topic: string, payload: Buffer): void {
    if (payload.length === 0) this.retained.delete(topic);
    else this.retained.add(topic);
  }

  /** Limits the packets a client's socket may send (call before the broker handles the socket). */
  limitPackets(socket: Socket, clientLabel: () => string): void {
    const limit = new PacketLimit(this.limits.maxPacketBytes);
    const read = socket.read.bind(socket);
    // aedes reads its sockets with read() on 'readable': every byte passes here first.
    socket.read = ((size?: number) => {
      const chunk = read(size) as Buffer | string | null;
      if (chunk === null || typeof chunk === 'string' || limit.push(chunk)) return chunk;
      this.refused.packetSize++;
      this.logger.warn(
        { client: clientLabel(), bytes: limit.announced, code: 'KEDGE_EVENTBUS_PACKET_TOO_LARGE' },
        `closing the connection of ${clientLabel()}: a packet of ${limit.announced} bytes is more than edge.mqtt.maxPacketBytes (${this.limits.maxPacketBytes})`,
      );
      socket.destroy();
      return null;
    }) as Socket['read'];
  }

  private warn(client: string, topic: string, why: string): void {
    this.logger.warn(
      { client, topic, code: 'KEDGE_EVENTBUS_NOT_RETAINED' },
      `retained publish of ${client} on ${topic} delivered but not kept: ${why}`,
    );
  }
}

/**
 * Follows MQTT's framing (a type byte, the remaining length as 1-4 bytes of 7 bits, the body)
 * across chunks, to see a packet's size from its header, before its body is buffered anywhere.
 */
export class PacketLimit {
  /** Bytes of the current packet's body still to come. */
  private skip = 0;
  /** Header bytes of the next packet collected so far (type byte and length bytes). */
  private header: number[] = [];
  /** The size the last header announced. */
  announced = 0;

  constructor(private readonly maxBytes: number) {}

  /** False once a packet announces more than the limit. */
  push(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++]!);
      if (this.header.length === 1) continue;
      const last = this.header[this.header.length - 1]!;
      if ((last & 0x80) !== 0 && this.header.length < 5) continue;
      let length = 0;
      for (let k = 1; k < this.header.length; k++) length += (this.header[k]! & 0x7f) * 128 ** (k - 1);
      this.header = [];
      this.announced = length;
      if (length > this.maxBytes) return false;
      this.skip = length;
    }
    return true;
  }
}
