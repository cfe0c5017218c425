import { describe, expect, it } from 'vitest';
import { encodePuback, encodePublish, PacketError, type RawPacket } from './packets.js';
import { PacketReader } from './reader.js';

function collect(reader: PacketReader, chunks: Buffer[]): RawPacket[] {
  const out: RawPacket[] = [];
  for (const chunk of chunks) reader.push(chunk, (p) => out.push({ ...p, body: Buffer.from(p.body) }));
  return out;
}

describe('PacketReader', () => {
  const stream = Buffer.concat([
    encodePublish('a', Buffer.alloc(300, 1), 1, false, 1),
    encodePuback(2),
    encodePublish('b', Buffer.alloc(20_000, 2), 0, true, 0),
    encodePuback(3),
  ]);

  it('gives the same packets whatever the chunk boundaries (inside headers too)', () => {
    const whole = collect(new PacketReader(1 << 20), [stream]);
    expect(whole.map((p) => [p.type, p.body.length])).toEqual([
      [3, 2 + 1 + 2 + 300],
      [4, 2],
      [3, 2 + 1 + 20_000],
      [4, 2],
    ]);
    for (const size of [1, 2, 3, 7, 1000, 4096]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
      const parts = collect(new PacketReader(1 << 20), chunks);
      expect(parts).toEqual(whole);
    }
  });

  it('throws PacketError for a packet over the limit and for a five-byte length', () => {
    expect(() => collect(new PacketReader(1000), [encodePublish('a', Buffer.alloc(2000), 0, false, 0)])).toThrow(
      /exceeds the limit of 1000/,
    );
    expect(() => collect(new PacketReader(1 << 20), [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])])).toThrow(
      PacketError,
    );
  });

  it('starts clean after reset (a new connection)', () => {
    const reader = new PacketReader(1 << 20);
    expect(collect(reader, [stream.subarray(0, 10)])).toEqual([]);
    reader.reset();
    expect(collect(reader, [encodePuback(5)]).map((p) => p.type)).toEqual([4]);
  });
});
