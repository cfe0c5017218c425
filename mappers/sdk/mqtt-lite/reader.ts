import { PacketError, type RawPacket } from './packets.js';

/**
 * Cuts a TCP byte stream into MQTT packets: chunks may end anywhere (inside the fixed header too)
 * and one chunk may hold many packets. A packet larger than `maxPacketBytes` or a malformed
 * length throws PacketError; the caller closes the connection, since the stream cannot be resynced.
 */
export class PacketReader {
  // An incomplete packet's chunks, joined once the packet is complete (a multi-megabyte retained
  // device set arrives in many chunks; joining at every chunk would copy it over and over).
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds one chunk; calls `onPacket` for every packet it completes, in order. */
  push(chunk: Buffer, onPacket: (packet: RawPacket) => void): void {
    let buf = chunk;
    if (this.parts.length > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      buf = Buffer.concat(this.parts, this.partsLength);
      this.reset();
    }
    let at = 0;
    while (at < buf.length) {
      const header = this.header(buf, at);
      const end = header ? header.bodyAt + header.length : 0;
      if (!header || end > buf.length) {
        this.parts.push(buf.subarray(at));
        this.partsLength = buf.length - at;
        this.needed = header ? end - at : 0;
        return;
      }
      const first = buf[at]!;
      // The body is a view into the chunk (Node hands out a fresh chunk per read, so it stays valid).
      onPacket({ type: first >> 4, flags: first & 0x0f, body: buf.subarray(header.bodyAt, end) });
      at = end;
    }
  }

  reset(): void {
    this.parts = [];
    this.partsLength = 0;
    this.needed = 0;
  }

  /** The body length and offset of the packet at `at`, or undefined if its header is incomplete. */
  private header(buf: Buffer, at: number): { length: number; bodyAt: number } | undefined {
    let length = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (at + i >= buf.length) return undefined;
      const byte = buf[at + i]!;
      length += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (1 + i + length > this.maxPacketBytes)
          throw new PacketError(`MQTT packet of ${1 + i + length} bytes exceeds the limit of ${this.maxPacketBytes}`);
        return { length, bodyAt: at + 1 + i };
      }
      multiplier *= 128;
    }
    throw new PacketError('MQTT remaining length longer than four bytes');
  }
}
