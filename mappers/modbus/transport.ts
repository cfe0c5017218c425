/**
 * A thin, well-behaved wrapper over a Modbus client for one line: Modbus TCP (kedge's own MBAP
 * client, tcp-client.ts), RTU on a serial port, or RTU over TCP (raw RTU frames with CRC on a
 * socket to a transparent gateway): both through modbus-serial on kedge's CRC-checked RTU port
 * (rtu-port.ts). modbus-serial (and serialport under it) is loaded only when a line needs it, so
 * a mapper with TCP devices only never loads either.
 *
 * What it adds, and why:
 *  - Errors become KedgeErrors naming the line, unit, function and address, with the Modbus
 *    exception code and name ("exception 2 (Illegal Data Address)") in message and detail.
 *  - modbus-serial emits 'error' on the client (an EventEmitter: unhandled it would crash the
 *    process) and 'close' when the socket/port goes; both are always listened to here.
 *  - Its destroy() cancels pending timeouts without settling the requests, and a closed port never
 *    answers, so every request also races a guard timer: no promise is left hanging.
 *  - After a lost connection it reconnects with exponential back-off, using a fresh client each
 *    time (old listeners and transaction tables go with the old one).
 *  - RTU: an answer is taken only when its unit, function and CRC are right (other bytes are dropped
 *    and counted); after a request that got no good answer the line must be silent for a while
 *    before the next request goes out, so a slow unit's late answer never meets another request.
 * One request at a time: the LineQueue schedules; an internal chain keeps this true even if a
 * caller bypasses the queue.
 */
import type ModbusSerial from 'modbus-serial';
import { Backoff } from '../../src/core/async/index.js';
import { isKedgeError, type KedgeError } from '../../src/core/errors/index.js';
import { describeException, exceptionName, modbusErrors } from './errors.js';
import type { RegisterTable } from './decode-spec.js';
import { RtuFramePort, SocketStream, type ByteStream, type RtuPortStats } from './rtu-port.js';
import { ModbusTcpClient } from './tcp-client.js';

export type CommunicateMode = 'TCP' | 'RTU' | 'RTUOverTCP';

export interface TransportOptions {
  mode: CommunicateMode;
  host?: string;
  port?: number;
  /** RTU: serial device path. */
  path?: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'N' | 'E' | 'O';
  stopBits?: 1 | 2;
  timeoutMs?: number;
  /** RTU: the silence between frames (3.5 characters), in ms. */
  gapMs?: number;
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Called when the connection comes up or goes down. */
  onConnectionChange?: (connected: boolean, error?: KedgeError) => void;
}

type SerialClient = InstanceType<(typeof ModbusSerial)['default']>;
/** What the transport uses of a client: modbus-serial's, and kedge's TCP client, have it all. */
interface Client {
  readonly isOpen: boolean;
  setID(unit: number): void;
  setTimeout(ms: number): void;
  close(callback: () => void): void;
  on(event: 'error' | 'close', listener: (err?: unknown) => void): unknown;
  readCoils(address: number, count: number): Promise<{ data: boolean[] }>;
  readDiscreteInputs(address: number, count: number): Promise<{ data: boolean[] }>;
  readHoldingRegisters(address: number, count: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, count: number): Promise<{ data: number[] }>;
  writeCoil(address: number, value: boolean): Promise<unknown>;
  writeCoils(address: number, values: boolean[]): Promise<unknown>;
  writeRegister(address: number, value: number): Promise<unknown>;
  writeRegisters(address: number, values: number[]): Promise<unknown>;
}

async function serialClient(port: RtuFramePort): Promise<SerialClient> {
  // CommonJS: under NodeNext its class is the default export's `default`.
  const { default: ModbusSerialModule } = await import('modbus-serial');
  return new ModbusSerialModule.default(port as never);
}

/**
 * After a failed RTU request the line must have been silent this long before the next one: a
 * late answer that comes just after the timeout (the usual case) is then dropped whole, and the
 * next request is not answered by it. Short next to a poll cycle, since every timeout pays it;
 * a later stray answer is still dropped by the port's unit, function and CRC checks.
 */
export function quietAfterFailureMs(timeoutMs: number, gapMs: number): number {
  return Math.max(gapMs * 4, Math.min(timeoutMs / 4, 50));
}

function asClient(client: SerialClient): Client {
  return client as unknown as Client; // its typings declare wider results ({ data, buffer }) than used here
}

/** One request as the error messages name it. */
export interface ModbusRequestInfo {
  unit: number;
  fc: number;
  address: number;
  count: number;
}

const PARITY: Readonly<Record<string, 'none' | 'even' | 'odd'>> = {
  none: 'none',
  even: 'even',
  odd: 'odd',
  N: 'none',
  E: 'even',
  O: 'odd',
};

export class ModbusTransport {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly reconnectBackoff: Backoff;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private rtuPort: RtuFramePort | undefined;
  /** The last RTU request got no good answer: wait for a quiet line before the next. */
  private dirty = false;
  readonly name: string;

  constructor(private readonly options: TransportOptions) {
    this.name =
      options.mode === 'RTU'
        ? `rtu ${options.path}`
        : `${options.mode === 'TCP' ? 'tcp' : 'rtu-over-tcp'} ${options.host}:${options.port ?? 502}`;
    this.reconnectBackoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...options.reconnect });
  }

  get connected(): boolean {
    return this.client?.isOpen === true;
  }

  /** RTU: bytes dropped and bad-CRC candidates since the line was opened. */
  get rtuStats(): RtuPortStats | undefined {
    return this.rtuPort?.stats;
  }

  /** Connects; throws KEDGE_MODBUS_CONNECT_FAILED (and keeps retrying in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await closeQuietly(client);
  }

  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[] | boolean[]> {
    switch (table) {
      case 'CoilRegister':
        return this.readCoils(unit, address, count);
      case 'DiscreteInputRegister':
        return this.readDiscreteInputs(unit, address, count);
      case 'HoldingRegister':
        return this.readHoldingRegisters(unit, address, count);
      case 'InputRegister':
        return this.readInputRegisters(unit, address, count);
    }
  }

  async readCoils(unit: number, address: number, count: number): Promise<boolean[]> {
    const res = await this.request({ unit, fc: 1, address, count }, (c) => c.readCoils(address, count));
    return res.data.slice(0, count); // modbus-serial pads to whole bytes
  }

  async readDiscreteInputs(unit: number, address: number, count: number): Promise<boolean[]> {
    const res = await this.request({ unit, fc: 2, address, count }, (c) => c.readDiscreteInputs(address, count));
    return res.data.slice(0, count);
  }

  async readHoldingRegisters(unit: number, address: number, count: number): Promise<number[]> {
    return (await this.request({ unit, fc: 3, address, count }, (c) => c.readHoldingRegisters(address, count))).data;
  }

  async readInputRegisters(unit: number, address: number, count: number): Promise<number[]> {
    return (await this.request({ unit, fc: 4, address, count }, (c) => c.readInputRegisters(address, count))).data;
  }

  async writeCoil(unit: number, address: number, value: boolean): Promise<void> {
    await this.request({ unit, fc: 5, address, count: 1 }, (c) => c.writeCoil(address, value));
  }

  async writeCoils(unit: number, address: number, values: boolean[]): Promise<void> {
    await this.request({ unit, fc: 15, address, count: values.length }, (c) => c.writeCoils(address, values));
  }

  async writeRegister(unit: number, address: number, value: number): Promise<void> {
    await this.request({ unit, fc: 6, address, count: 1 }, (c) => c.writeRegister(address, value));
  }

  async writeRegisters(unit: number, address: number, values: number[]): Promise<void> {
    await this.request({ unit, fc: 16, address, count: values.length }, (c) => c.writeRegisters(address, values));
  }

  private request<T>(op: ModbusRequestInfo, call: (client: Client) => Promise<T>): Promise<T> {
    const run = this.chain.then(() => this.execute(op, call));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async execute<T>(op: ModbusRequestInfo, call: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client?.isOpen) {
      this.scheduleReconnect();
      throw modbusErrors.create('KEDGE_MODBUS_NOT_CONNECTED', `${this.where(op)}: not connected`, {
        detail: this.detail(op),
      });
    }
    client.setID(op.unit);
    // kedge's TCP client settles every request itself (answer, timeout or close): no guard needed.
    if (client instanceof ModbusTcpClient)
      return call(client).catch((err: unknown) => Promise.reject(this.mapError(err, op)));
    const timeoutMs = this.options.timeoutMs ?? 1000;
    if (this.dirty && this.rtuPort) {
      await this.rtuPort.quiet(quietAfterFailureMs(timeoutMs, this.options.gapMs ?? 2));
      this.dirty = false;
    }
    let guard: ReturnType<typeof setTimeout> | undefined;
    const guardFired = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' })), timeoutMs + 250);
    });
    try {
      return await Promise.race([call(client), guardFired]);
    } catch (err) {
      let mapped = this.mapError(err, op);
      // No answer came, but one with a wrong CRC did: say so (noise on the line, a bad termination).
      if (mapped.code === 'KEDGE_MODBUS_TIMEOUT' && this.rtuPort?.sawBadCrc)
        mapped = modbusErrors.create('KEDGE_MODBUS_CRC', `${this.where(op)}: CRC error in the answer`, {
          cause: err,
          detail: this.detail(op),
        });
      // Anything but a clean Modbus exception may leave an answer still coming on the line.
      if (mapped.code !== 'KEDGE_MODBUS_EXCEPTION') this.dirty = true;
      throw mapped;
    } finally {
      clearTimeout(guard);
    }
  }

  private where(op: ModbusRequestInfo): string {
    return `${this.name} unit ${op.unit} FC${op.fc} address ${op.address} count ${op.count}`;
  }

  private detail(op: ModbusRequestInfo): Record<string, unknown> {
    return { line: this.name, unit: op.unit, functionCode: op.fc, address: op.address, count: op.count };
  }

  /** modbus-serial error shapes -> KedgeErrors. */
  mapError(err: unknown, op: ModbusRequestInfo): KedgeError {
    if (isKedgeError(err)) return err;
    const e = (err ?? {}) as { message?: string; modbusCode?: number; errno?: string; name?: string };
    const message = e.message ?? String(err);
    if (typeof e.modbusCode === 'number') {
      return modbusErrors.create('KEDGE_MODBUS_EXCEPTION', `${this.where(op)}: ${describeException(e.modbusCode)}`, {
        cause: err,
        detail: { ...this.detail(op), exceptionCode: e.modbusCode, exceptionName: exceptionName(e.modbusCode) },
      });
    }
    const code = classify(e.errno, e.name, message);
    if (code === 'KEDGE_MODBUS_NOT_CONNECTED') this.scheduleReconnect();
    const text = code === 'KEDGE_MODBUS_TIMEOUT' ? `no answer within ${this.options.timeoutMs ?? 1000} ms` : message;
    return modbusErrors.create(code, `${this.where(op)}: ${text}`, { cause: err, detail: this.detail(op) });
  }

  private async connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = this.openClient().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async openClient(): Promise<void> {
    let client: Client;
    try {
      if (this.options.mode === 'TCP') client = new ModbusTcpClient();
      else {
        this.rtuPort = new RtuFramePort(await this.rtuStream());
        this.dirty = false;
        client = asClient(await serialClient(this.rtuPort));
      }
    } catch (err) {
      throw modbusErrors.create(
        'KEDGE_MODBUS_CONNECT_FAILED',
        `${this.name}: cannot load modbus-serial: ${messageOf(err)}`,
        { cause: err },
      );
    }
    client.on('error', (err: unknown) => this.lost(client, err));
    client.on('close', () => this.lost(client, undefined));
    client.setTimeout(this.options.timeoutMs ?? 1000);
    try {
      await this.open(client);
    } catch (err) {
      await closeQuietly(client);
      const error = modbusErrors.create(
        'KEDGE_MODBUS_CONNECT_FAILED',
        `${this.name}: cannot connect: ${messageOf(err)}`,
        { cause: err },
      );
      this.scheduleReconnect();
      throw error;
    }
    if (this.stopped) {
      await closeQuietly(client);
      return;
    }
    this.client = client;
    this.reconnectBackoff.reset();
    this.options.onConnectionChange?.(true);
  }

  private open(client: Client): Promise<void> {
    const o = this.options;
    if (client instanceof ModbusTcpClient) return client.connectTCP(o.host ?? '127.0.0.1', { port: o.port ?? 502 });
    const serial = client as unknown as { open(cb: (err?: Error | null) => void): void };
    return new Promise((resolve, reject) => serial.open((err) => (err ? reject(err) : resolve())));
  }

  /**
   * The bytes under the RTU port: the serial device, or (RTU over TCP) a socket to a transparent
   * gateway, which wants raw RTU frames with CRC (not MBAP, which modbus-serial's
   * connectTcpRTUBuffered would send despite its name).
   */
  private async rtuStream(): Promise<ByteStream> {
    const o = this.options;
    if (o.mode === 'RTUOverTCP') return new SocketStream(o.host ?? '127.0.0.1', o.port ?? 502);
    const { SerialPort } = await import('serialport');
    return new SerialPort({
      path: o.path ?? '',
      baudRate: o.baudRate ?? 9600,
      dataBits: o.dataBits ?? 8,
      parity: PARITY[o.parity ?? 'none'] ?? 'none',
      stopBits: o.stopBits ?? 1,
      autoOpen: false,
    }) as unknown as ByteStream;
  }

  private lost(client: Client, err: unknown): void {
    if (client !== this.client) return; // events from a client we already dropped
    this.client = undefined;
    void closeQuietly(client);
    const error = modbusErrors.create(
      'KEDGE_MODBUS_NOT_CONNECTED',
      `${this.name}: connection lost${err ? `: ${messageOf(err)}` : ''}`,
      { cause: err },
    );
    this.options.onConnectionChange?.(false, error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer || this.client?.isOpen) return;
    const delay = this.reconnectBackoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || this.client?.isOpen) return;
      this.connect().catch(() => undefined); // a failed attempt schedules the next one itself
    }, delay);
  }
}

function classify(errno: string | undefined, name: string | undefined, message: string) {
  if (errno === 'ETIMEDOUT' || message === 'Timed out') return 'KEDGE_MODBUS_TIMEOUT' as const;
  if (message.startsWith('CRC error')) return 'KEDGE_MODBUS_CRC' as const;
  if (name === 'PortNotOpenError' || message === 'Port Not Open') return 'KEDGE_MODBUS_NOT_CONNECTED' as const;
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error'))
    return 'KEDGE_MODBUS_BAD_RESPONSE' as const;
  return 'KEDGE_MODBUS_IO' as const;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
}

function closeQuietly(client: Client): Promise<void> {
  // A port that never opened (or already died) has nothing to close, and modbus-serial's TCP port
  // would never call back.
  if (!client.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const done = setTimeout(resolve, 1000); // a port that never reports closing must not block stop()
    try {
      client.close(() => {
        clearTimeout(done);
        resolve();
      });
    } catch {
      clearTimeout(done);
      resolve();
    }
  });
}
