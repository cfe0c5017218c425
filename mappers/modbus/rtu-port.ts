/**
 * The byte stream of an RTU line (a serial port, or a TCP socket to a transparent gateway) as
 * modbus-serial wants a port: open/close/write/isOpen and a 'data' event per answer frame.
 *
 * Why not modbus-serial's own buffered ports: they take the first bytes that start with the
 * expected unit and function code and have the expected length, without looking at the CRC. A
 * late answer of a slow unit arriving while the next unit's request is on the line gets mixed
 * into that answer, which then fails its CRC in modbus-serial: a healthy neighbour reported "CRC
 * error" and went offline (issue 15). Here a candidate frame counts only when its CRC is right;
 * bytes that belong to no such frame (another unit's late answer, line noise) are dropped and
 * counted. `quiet()` waits until the line has been silent for a while and empties the buffer: the
 * transport calls it after a request that got no answer, before the next one goes out.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { crc16 } from './sim/crc16.js';

export interface RtuPortStats {
  /** Bytes dropped because they were no valid answer to the request on the line. */
  droppedBytes: number;
  /** Candidate frames (right unit and function) whose CRC was wrong. */
  badCrc: number;
}

/** What the port needs from the stream below it. */
export interface ByteStream {
  open(done: (err?: Error | null) => void): void;
  close(done: () => void): void;
  write(data: Buffer): void;
  readonly isOpen: boolean;
  on(event: 'data', fn: (data: Buffer) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
}

const MAX_BUFFER = 512;
const EXCEPTION_LENGTH = 5;

/** The length of the answer to `request` (unit, function, ...), undefined when it varies. */
export function answerLength(request: Buffer): number | undefined {
  const fc = request[1];
  if (fc === 1 || fc === 2) return 3 + Math.ceil(request.readUInt16BE(4) / 8) + 2;
  if (fc === 3 || fc === 4) return 3 + 2 * request.readUInt16BE(4) + 2;
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return undefined;
}

export class RtuFramePort extends EventEmitter {
  private buffer: Buffer = Buffer.alloc(0);
  private expect: { unit: number; fc: number; length: number | undefined } | undefined;
  private lastDataAt = 0;
  /** A right-looking answer to the current request came with a wrong CRC. */
  sawBadCrc = false;
  readonly stats: RtuPortStats = { droppedBytes: 0, badCrc: 0 };
  /** modbus-serial keeps its transaction counters on the port. */
  _transactionIdRead = 1;
  _transactionIdWrite = 1;

  constructor(private readonly stream: ByteStream) {
    super();
    stream.on('data', (data) => this.onData(data));
    stream.on('error', (err) => this.emit('error', err));
    stream.on('close', () => this.emit('close'));
  }

  get isOpen(): boolean {
    return this.stream.isOpen;
  }

  open(done: (err?: Error | null) => void): void {
    this.stream.open(done);
  }

  close(done: () => void): void {
    this.stream.close(done);
    this.removeAllListeners('data');
  }

  write(frame: Buffer): void {
    // Whatever is still buffered belongs to no request now.
    this.drop(this.buffer.length);
    this.buffer = Buffer.alloc(0);
    this.expect = { unit: frame[0]!, fc: frame[1]!, length: answerLength(frame) };
    this.sawBadCrc = false;
    this.stream.write(frame);
  }

  /**
   * Resolves once nothing has arrived for `ms` (at most `ms` plus `maxWaitMs`), then drops what is
   * buffered: a late answer to a request that timed out does not meet the next request.
   */
  async quiet(ms: number, maxWaitMs = 2000): Promise<void> {
    this.expect = undefined;
    const start = Date.now();
    const until = start + ms + maxWaitMs;
    for (;;) {
      const silentFor = Date.now() - Math.max(this.lastDataAt, start);
      if (silentFor >= ms || Date.now() >= until) break;
      await new Promise((r) => setTimeout(r, ms - silentFor));
    }
    this.drop(this.buffer.length);
    this.buffer = Buffer.alloc(0);
  }

  private onData(data: Buffer): void {
    this.lastDataAt = Date.now();
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    if (this.buffer.length > MAX_BUFFER) {
      this.drop(this.buffer.length - MAX_BUFFER);
      this.buffer = this.buffer.subarray(this.buffer.length - MAX_BUFFER);
    }
    const want = this.expect;
    if (!want) return; // nothing asked: kept until the next write or quiet() drops it
    const frame = this.findAnswer(want);
    if (!frame) return;
    this.expect = undefined;
    this.drop(frame.start);
    const answer = this.buffer.subarray(frame.start, frame.start + frame.length);
    this.drop(this.buffer.length - frame.start - frame.length);
    this.buffer = Buffer.alloc(0);
    this.emit('data', Buffer.from(answer));
  }

  /** The first span that is a whole, CRC-valid answer (or exception) of the expected unit and function. */
  private findAnswer(want: { unit: number; fc: number; length: number | undefined }) {
    const buf = this.buffer;
    for (let i = 0; i + EXCEPTION_LENGTH <= buf.length; i++) {
      if (buf[i] !== want.unit) continue;
      const fc = buf[i + 1]!;
      let length: number | undefined;
      if (fc === (want.fc | 0x80)) length = EXCEPTION_LENGTH;
      else if (fc === want.fc) length = want.length;
      if (length === undefined || i + length > buf.length) continue;
      if (crc16(buf.subarray(i, i + length - 2)) === buf.readUInt16LE(i + length - 2)) return { start: i, length };
      this.stats.badCrc++;
      this.sawBadCrc = true;
    }
    return undefined;
  }

  private drop(bytes: number): void {
    if (bytes > 0) this.stats.droppedBytes += bytes;
  }
}

/** A TCP socket to a transparent serial gateway, as a ByteStream. */
export class SocketStream extends EventEmitter implements ByteStream {
  private socket: Socket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && !this.socket.connecting;
  }

  open(done: (err?: Error | null) => void): void {
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    const onError = (err: Error) => done(err);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.on('error', (err) => this.emit('error', err));
      done(null);
    });
    socket.on('data', (d: Buffer) => this.emit('data', d));
    socket.on('close', () => this.emit('close'));
  }

  close(done: () => void): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return done();
    socket.once('close', () => done());
    socket.destroy();
  }

  write(data: Buffer): void {
    this.socket?.write(data);
  }
}
