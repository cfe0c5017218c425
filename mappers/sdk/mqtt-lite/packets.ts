/**
 * The MQTT 3.1.1 packets a mapper's client sends and receives (OASIS MQTT 3.1.1, section 3):
 * CONNECT, PUBLISH (QoS 0/1), PUBACK, SUBSCRIBE, PINGREQ and DISCONNECT out; CONNACK, PUBLISH,
 * PUBACK, SUBACK, PINGRESP in. QoS 2 is not used by kedge: the client never asks for it, and a
 * broker that sends it anyway is a protocol error (see client.ts).
 */

export const PacketType = {
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
} as const;

/** The largest "remaining length" MQTT can express (four length bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export interface ConnectOptions {
  clientId: string;
  clean: boolean;
  keepaliveSeconds: number;
  username?: string;
  password?: string;
  will?: { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean };
}

export interface PublishPacket {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
}

/** A complete packet as read off the wire: first byte split up, body not yet decoded. */
export interface RawPacket {
  type: number;
  flags: number;
  body: Buffer;
}

function lengthBytes(length: number): number {
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}

/** A packet buffer with its fixed header written; returns the buffer and the body's offset. */
function fixedHeader(first: number, bodyLength: number): { buf: Buffer; at: number } {
  if (bodyLength > MAX_REMAINING_LENGTH)
    throw new RangeError(`MQTT packet body of ${bodyLength} bytes exceeds ${MAX_REMAINING_LENGTH}`);
  const n = lengthBytes(bodyLength);
  const buf = Buffer.allocUnsafe(1 + n + bodyLength);
  buf[0] = first;
  let rest = bodyLength;
  for (let i = 1; i <= n; i++) {
    const digit = rest % 128;
    rest = Math.floor(rest / 128);
    buf[i] = rest > 0 ? digit | 0x80 : digit;
  }
  return { buf, at: 1 + n };
}

function writeString(buf: Buffer, at: number, value: string | Buffer): number {
  const bytes = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (bytes > 0xffff) throw new RangeError(`MQTT string of ${bytes} bytes exceeds 65535`);
  buf.writeUInt16BE(bytes, at);
  if (typeof value === 'string') buf.write(value, at + 2);
  else value.copy(buf, at + 2);
  return at + 2 + bytes;
}

const stringSize = (value: string | Buffer): number =>
  2 + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);

export function encodeConnect(o: ConnectOptions): Buffer {
  let size = 10 + stringSize(o.clientId); // "MQTT", level, flags, keepalive
  if (o.will) size += stringSize(o.will.topic) + stringSize(o.will.payload);
  if (o.username !== undefined) size += stringSize(o.username);
  if (o.password !== undefined) size += stringSize(o.password);
  const { buf, at } = fixedHeader(PacketType.Connect << 4, size);
  let p = writeString(buf, at, 'MQTT');
  buf[p++] = 4; // protocol level 4 = 3.1.1
  let flags = o.clean ? 0x02 : 0;
  if (o.will) flags |= 0x04 | (o.will.qos << 3) | (o.will.retain ? 0x20 : 0);
  if (o.password !== undefined) flags |= 0x40;
  if (o.username !== undefined) flags |= 0x80;
  buf[p++] = flags;
  buf.writeUInt16BE(o.keepaliveSeconds, p);
  p = writeString(buf, p + 2, o.clientId);
  if (o.will) p = writeString(buf, writeString(buf, p, o.will.topic), o.will.payload);
  if (o.username !== undefined) p = writeString(buf, p, o.username);
  if (o.password !== undefined) writeString(buf, p, o.password);
  return buf;
}

/** One buffer holding the whole PUBLISH (one socket write; kept as is for a resend with DUP). */
export function encodePublish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean, messageId: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  if (topicBytes > 0xffff) throw new RangeError(`MQTT topic of ${topicBytes} bytes exceeds 65535`);
  const { buf, at } = fixedHeader(
    (PacketType.Publish << 4) | (qos << 1) | (retain ? 1 : 0),
    2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length,
  );
  buf.writeUInt16BE(topicBytes, at);
  let p = at + 2 + buf.write(topic, at + 2);
  if (qos > 0) {
    buf.writeUInt16BE(messageId, p);
    p += 2;
  }
  payload.copy(buf, p);
  return buf;
}

/** The same PUBLISH with its DUP flag set, for a resend after a reconnect. */
export function withDup(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy[0] = copy[0]! | 0x08;
  return copy;
}

export function encodeSubscribe(messageId: number, topics: readonly string[], qos: 0 | 1): Buffer {
  const size = 2 + topics.reduce((sum, t) => sum + stringSize(t) + 1, 0);
  const { buf, at } = fixedHeader((PacketType.Subscribe << 4) | 0x02, size);
  buf.writeUInt16BE(messageId, at);
  let p = at + 2;
  for (const t of topics) {
    p = writeString(buf, p, t);
    buf[p++] = qos;
  }
  return buf;
}

export function encodePuback(messageId: number): Buffer {
  return Buffer.from([PacketType.Puback << 4, 2, messageId >> 8, messageId & 0xff]);
}

export const PINGREQ = Buffer.from([PacketType.Pingreq << 4, 0]);
export const DISCONNECT = Buffer.from([PacketType.Disconnect << 4, 0]);

export class PacketError extends Error {}

/** CONNACK: the return code (0 = accepted; 1-5 are the refusals of section 3.2.2.3). */
export function decodeConnack(p: RawPacket): { sessionPresent: boolean; returnCode: number } {
  if (p.body.length !== 2) throw new PacketError(`CONNACK with a body of ${p.body.length} bytes (2 expected)`);
  return { sessionPresent: (p.body[0]! & 1) === 1, returnCode: p.body[1]! };
}

export function decodePublish(p: RawPacket): PublishPacket {
  const qos = ((p.flags >> 1) & 3) as 0 | 1 | 2 | 3;
  if (qos === 3) throw new PacketError('PUBLISH with QoS 3');
  if (p.body.length < 2) throw new PacketError('PUBLISH too short for its topic length');
  const topicLength = p.body.readUInt16BE(0);
  let at = 2 + topicLength;
  if (p.body.length < at + (qos > 0 ? 2 : 0))
    throw new PacketError(`PUBLISH too short for its topic of ${topicLength} bytes`);
  const topic = p.body.toString('utf8', 2, at);
  let messageId: number | undefined;
  if (qos > 0) {
    messageId = p.body.readUInt16BE(at);
    at += 2;
  }
  const packet: PublishPacket = {
    topic,
    payload: p.body.subarray(at),
    qos,
    retain: (p.flags & 1) === 1,
    dup: (p.flags & 8) === 8,
  };
  if (messageId !== undefined) packet.messageId = messageId;
  return packet;
}

/** A whole encoded PUBLISH (fixed header, remaining length, body), as encodePublish made it. */
export function decodeEncodedPublish(packet: Buffer): PublishPacket {
  let length = 0;
  let i = 1;
  for (let shift = 0; ; shift += 7, i++) {
    const byte = packet[i];
    if (byte === undefined || shift > 21) throw new PacketError('PUBLISH with a broken remaining length');
    length += (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
  }
  const first = packet[0]!;
  return decodePublish({ type: first >> 4, flags: first & 0x0f, body: packet.subarray(i + 1, i + 1 + length) });
}

/** PUBACK, UNSUBACK: the packet identifier. */
export function decodeMessageId(p: RawPacket, name: string): number {
  if (p.body.length !== 2) throw new PacketError(`${name} with a body of ${p.body.length} bytes (2 expected)`);
  return p.body.readUInt16BE(0);
}

/** SUBACK: the packet identifier and one granted QoS (or 0x80 = refused) per topic filter. */
export function decodeSuback(p: RawPacket): { messageId: number; granted: number[] } {
  if (p.body.length < 3) throw new PacketError(`SUBACK with a body of ${p.body.length} bytes (3 or more expected)`);
  return { messageId: p.body.readUInt16BE(0), granted: [...p.body.subarray(2)] };
}
