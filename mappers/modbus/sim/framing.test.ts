import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { withCrc } from './crc16.js';
import { mbapResponse, rtuResponse, takeMbapFrames, takeRtuFrames } from './framing.js';

const rtuRead = (unit: number, address: number) => withCrc(Buffer.from([unit, 3, address >> 8, address & 0xff, 0, 2]));
const rtuWrite16 = (unit: number) => withCrc(Buffer.from([unit, 16, 0, 1, 0, 2, 4, 0, 9, 0, 8]));

describe('RTU request framing', () => {
  it('splits back-to-back frames of fixed and variable length', () => {
    const stream = Buffer.concat([rtuRead(1, 5), rtuWrite16(2), rtuRead(3, 7)]);
    const { frames, rest } = takeRtuFrames(stream);
    expect(frames.map((f) => f.unit)).toEqual([1, 2, 3]);
    expect(frames[1]!.pdu).toEqual(Buffer.from([16, 0, 1, 0, 2, 4, 0, 9, 0, 8]));
    expect(rest.length).toBe(0);
  });

  it('any chunking of the stream yields the same frames', () => {
    const stream = Buffer.concat([rtuRead(1, 5), rtuWrite16(2), rtuRead(3, 7)]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let buffer: Buffer = Buffer.alloc(0);
        const units: number[] = [];
        let from = 0;
        for (const to of [...points, stream.length]) {
          const out = takeRtuFrames(Buffer.concat([buffer, stream.subarray(from, to)]));
          buffer = out.rest;
          units.push(...out.frames.map((f) => f.unit));
          from = to;
        }
        expect(units).toEqual([1, 2, 3]);
      }),
    );
  });

  it('resynchronises after noise', () => {
    const { frames } = takeRtuFrames(Buffer.concat([Buffer.from([0xff, 0x00, 0x13]), rtuRead(4, 1)]));
    expect(frames.map((f) => f.unit)).toEqual([4]);
  });

  it('builds responses with CRC', () => {
    expect(rtuResponse(1, Buffer.from([3, 2, 0, 7]))).toEqual(withCrc(Buffer.from([1, 3, 2, 0, 7])));
  });
});

describe('MBAP framing', () => {
  it('parses partial and multiple frames and answers with the same transaction id', () => {
    const req = (tid: number, unit: number) => Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, unit, 3, 0, 0, 0, 1]);
    const stream = Buffer.concat([req(1, 9), req(2, 10)]);
    const first = takeMbapFrames(stream.subarray(0, 15));
    expect(first.frames.map((f) => [f.transactionId, f.unit])).toEqual([[1, 9]]);
    const second = takeMbapFrames(Buffer.concat([first.rest, stream.subarray(15)]));
    expect(second.frames.map((f) => [f.transactionId, f.unit])).toEqual([[2, 10]]);
    expect(mbapResponse(2, 10, Buffer.from([3, 2, 0, 1]))).toEqual(Buffer.from([0, 2, 0, 0, 0, 5, 10, 3, 2, 0, 1]));
  });
});
