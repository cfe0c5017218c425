/**
 * A Modbus TCP (MBAP) client on a plain socket, for the transport's TCP lines. Why not
 * modbus-serial there too: loading it loads serialport and its native binding (about 9 MB of RSS
 * in a mapper that never opens a serial port), and its TCP path computes an unused CRC, allocates
 * per request and keeps a transaction table the transport does not need (it sends one request at
 * a time). RTU and RTU over TCP still go through modbus-serial (transport.ts).
 *
 * The method names and error shapes are the subset of modbus-serial's client the transport uses
 * (`setID`, `readHoldingRegisters`... resolving `{ data }`; a Modbus exception carries
 * `modbusCode`, a timeout `errno: 'ETIMEDOUT'`), so transport.ts maps errors the same way for both.
 * Unlike modbus-serial, every request settles: on its answer, its timeout, or the socket closing.
 */
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';

interface Pending {
  tx: number;
  unit: number;
  fc: number;
  count: number;
  resolve: (pdu: Buffer) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const MBAP = 7; // transaction id, protocol id, length, unit id

function failure(message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), extra);
}

export class ModbusTcpClient extends EventEmitter {
  private socket: Socket | undefined;
  private open = false;
  private unit = 1;
  private timeoutMs = 1000;
  private tx = 0;
  private pending: Pending | undefined;
  private rest: Buffer | undefined;

  get isOpen(): boolean {
    return this.open;
  }

  setID(unit: number): void {
    this.unit = unit;
  }

  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  connectTCP(host: string, options: { port: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port: options.port });
      socket.setNoDelay(true);
      const refused = (err: Error) => reject(err);
      socket.once('error', refused);
      socket.once('connect', () => {
        socket.off('error', refused);
        this.socket = socket;
        this.open = true;
        socket.on('data', (chunk: Buffer) => this.receive(chunk));
        socket.on('error', (err) => this.emit('error', err));
        socket.on('close', () => this.closed());
        resolve();
      });
    });
  }

  close(callback: () => void): void {
    const socket = this.socket;
    if (!socket || !this.open) {
      callback();
      return;
    }
    socket.once('close', () => callback());
    socket.destroy();
  }

  async readCoils(address: number, count: number): Promise<{ data: boolean[] }> {
    return { data: bits(await this.request(1, address, count, word(count)), count) };
  }

  async readDiscreteInputs(address: number, count: number): Promise<{ data: boolean[] }> {
    return { data: bits(await this.request(2, address, count, word(count)), count) };
  }

  async readHoldingRegisters(address: number, count: number): Promise<{ data: number[] }> {
    return { data: registers(await this.request(3, address, count, word(count))) };
  }

  async readInputRegisters(address: number, count: number): Promise<{ data: number[] }> {
    return { data: registers(await this.request(4, address, count, word(count))) };
  }

  async writeCoil(address: number, value: boolean): Promise<void> {
    await this.request(5, address, 1, word(value ? 0xff00 : 0));
  }

  async writeRegister(address: number, value: number): Promise<void> {
    await this.request(6, address, 1, word(value & 0xffff));
  }

  async writeCoils(address: number, values: boolean[]): Promise<void> {
    const bytes = Buffer.alloc(Math.ceil(values.length / 8));
    values.forEach((v, i) => {
      if (v) bytes[i >> 3]! |= 1 << (i & 7);
    });
    await this.request(
      15,
      address,
      values.length,
      Buffer.concat([word(values.length), Buffer.from([bytes.length]), bytes]),
    );
  }

  async writeRegisters(address: number, values: number[]): Promise<void> {
    const body = Buffer.alloc(3 + values.length * 2);
    body.writeUInt16BE(values.length, 0);
    body[2] = values.length * 2;
    for (const [i, v] of values.entries()) body.writeUInt16BE(v & 0xffff, 3 + i * 2);
    await this.request(16, address, values.length, body);
  }

  /** Sends `fc address body` to the current unit; resolves with the answer's PDU after the function code. */
  private request(fc: number, address: number, count: number, body: Buffer): Promise<Buffer> {
    const socket = this.socket;
    if (!socket || !this.open) return Promise.reject(failure('Port Not Open', { name: 'PortNotOpenError' }));
    if (this.pending) return Promise.reject(failure('a request is already in flight on this connection'));
    this.tx = (this.tx + 1) & 0xffff;
    const frame = Buffer.allocUnsafe(MBAP + 3 + body.length);
    frame.writeUInt16BE(this.tx, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(4 + body.length, 4);
    frame[6] = this.unit;
    frame[7] = fc;
    frame.writeUInt16BE(address, 8);
    body.copy(frame, 10);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(failure('Timed out', { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' })),
        this.timeoutMs,
      );
      this.pending = { tx: this.tx, unit: this.unit, fc, count, resolve, reject, timer };
      socket.write(frame);
    });
  }

  private settle(err: Error | undefined, pdu?: Buffer): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(pdu!);
  }

  /** Frames may arrive split or several in one chunk; an answer to an abandoned request is dropped. */
  private receive(chunk: Buffer): void {
    let data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    while (data.length >= MBAP + 1) {
      const end = 6 + data.readUInt16BE(4);
      if (data.length < end) break;
      this.answer(data.subarray(0, end));
      data = data.subarray(end);
    }
    if (data.length > 0) this.rest = data;
  }

  private answer(frame: Buffer): void {
    const p = this.pending;
    if (!p || frame.readUInt16BE(0) !== p.tx) return;
    const unit = frame[6]!;
    const fc = frame[7]!;
    if (unit !== p.unit) return this.settle(failure(`Unexpected data error, expected address ${p.unit} got ${unit}`));
    if (fc === (p.fc | 0x80)) {
      const code = frame[8] ?? 0;
      return this.settle(failure(`Modbus exception ${code}`, { modbusCode: code }));
    }
    if (fc !== p.fc) return this.settle(failure(`Unexpected data error, expected function ${p.fc} got ${fc}`));
    const pdu = frame.subarray(8);
    const expected = p.fc <= 2 ? 1 + Math.ceil(p.count / 8) : p.fc <= 4 ? 1 + 2 * p.count : 4;
    if (pdu.length !== expected || (p.fc <= 4 && pdu[0] !== expected - 1)) {
      return this.settle(failure(`Data length error, expected ${expected + 2} got ${pdu.length + 2}`));
    }
    this.settle(undefined, pdu);
  }

  private closed(): void {
    if (!this.open) return;
    this.open = false;
    this.rest = undefined;
    this.settle(failure('Port Not Open', { name: 'PortNotOpenError' }));
    this.emit('close');
  }
}

function word(value: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(value, 0);
  return b;
}

/** FC3/FC4 answer (byte count, then big-endian registers) -> register values. */
function registers(pdu: Buffer): number[] {
  const n = pdu[0]! >> 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = (pdu[1 + 2 * i]! << 8) | pdu[2 + 2 * i]!;
  return out;
}

/** FC1/FC2 answer (byte count, then bits LSB first) -> the first `count` bits. */
function bits(pdu: Buffer, count: number): boolean[] {
  const out = new Array<boolean>(count);
  for (let i = 0; i < count; i++) out[i] = ((pdu[1 + (i >> 3)]! >> (i & 7)) & 1) === 1;
  return out;
}
