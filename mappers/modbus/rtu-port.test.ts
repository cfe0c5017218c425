import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RtuFramePort, type ByteStream } from './rtu-port.js';
import { withCrc } from './sim/crc16.js';

/** A stream the test feeds bytes into, as the serial port would deliver them. */
class FakeStream extends EventEmitter implements ByteStream {
  readonly written: Buffer[] = [];
  isOpen = true;
  open(done: (err?: Error | null) => void): void {
    done(null);
  }
  close(done: () => void): void {
    done();
  }
  write(data: Buffer): void {
    this.written.push(data);
  }
  feed(bytes: Buffer): void {
    this.emit('data', bytes);
  }
}

const readRequest = (unit: number, count: number) => withCrc(Buffer.from([unit, 3, 0, 0, 0, count]));
const readAnswer = (unit: number, values: number[]) => {
  const body = Buffer.alloc(3 + 2 * values.length);
  body[0] = unit;
  body[1] = 3;
  body[2] = 2 * values.length;
  for (const [i, v] of values.entries()) body.writeUInt16BE(v, 3 + 2 * i);
  return withCrc(body);
};

function port() {
  const stream = new FakeStream();
  const p = new RtuFramePort(stream);
  const frames: Buffer[] = [];
  p.on('data', (f: Buffer) => frames.push(f));
  return { stream, p, frames };
}

describe('RtuFramePort', () => {
  it("finds the answer after another unit's late answer, across reads, and drops those bytes", () => {
    const { stream, p, frames } = port();
    p.write(readRequest(4, 2));
    // Unit 3 answers a request that timed out; its bytes hold "04 03", which looks like unit 4's header.
    const late = readAnswer(3, [0x0403, 0x0403]);
    const good = readAnswer(4, [111, 222]);
    stream.feed(late.subarray(0, 4));
    stream.feed(Buffer.concat([late.subarray(4), good.subarray(0, 2)]));
    expect(frames).toEqual([]);
    stream.feed(good.subarray(2));
    expect(frames).toEqual([good]);
    expect(p.stats.droppedBytes).toBe(late.length);
    expect(p.sawBadCrc).toBe(true); // the look-alike inside the late answer was tried and refused
  });

  it('skips a candidate with a wrong CRC and says it saw one', () => {
    const { stream, p, frames } = port();
    p.write(readRequest(2, 1));
    const bad = readAnswer(2, [5]);
    bad[bad.length - 1]! ^= 0xff;
    stream.feed(bad);
    expect(frames).toEqual([]);
    expect(p.sawBadCrc).toBe(true);
    expect(p.stats.badCrc).toBe(1);
    const good = readAnswer(2, [5]);
    stream.feed(good);
    expect(frames).toEqual([good]);
  });

  it('takes a Modbus exception of the expected unit and function', () => {
    const { stream, p, frames } = port();
    p.write(readRequest(9, 1));
    const exception = withCrc(Buffer.from([9, 0x83, 2]));
    stream.feed(exception);
    expect(frames).toEqual([exception]);
  });

  it('quiet() waits for silence and drops what came meanwhile', async () => {
    const { stream, p, frames } = port();
    p.write(readRequest(1, 1));
    const waiting = p.quiet(30);
    setTimeout(() => stream.feed(readAnswer(1, [7])), 10); // a late answer, after the request timed out
    await waiting;
    expect(frames).toEqual([]);
    expect(p.stats.droppedBytes).toBe(7);
  });
});
