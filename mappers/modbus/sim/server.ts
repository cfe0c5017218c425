/**
 * A Modbus slave simulator: one or more units, served over Modbus TCP, RTU over TCP, and RTU on a
 * serial path (e.g. one end of a socat pseudo-terminal pair).
 *
 * Written on purpose instead of modbus-serial's ServerTCP/ServerSerial: those answer through
 * per-register callbacks, so a decision per *request* (drop it to cause a timeout, answer with an
 * exception, delay it, swap its words, count it by function code) has no natural place, and
 * ServerSerial opens the port itself with its own framing assumptions.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { modbusErrors } from '../errors.js';
import { takeMbapFrames, takeRtuFrames, mbapResponse, rtuResponse } from './framing.js';
import { UnitMemory } from './memory.js';
import { AddressCoverage } from './coverage.js';
import { exceptionPdu, handlePdu } from './pdu.js';
import { checkPoint, generatorValue, mirrorBits, prng, writePoint, type SimPoint } from './points.js';
import type { ModbusValue } from '../codec.js';

export interface SimFaults {
  /** Probability 0..1 that a request gets no answer at all. */
  timeoutRate?: number;
  /** Probability 0..1 that a request is answered with an exception. */
  exceptionRate?: number;
  /** Exception code for exceptionRate (default 4, Server Device Failure). */
  exceptionCode?: number;
  /** Register reads come back with each pair of words swapped. */
  swapWords?: boolean;
  /** Delay before every answer. */
  delayMs?: number;
  /** The unit never answers. */
  dead?: boolean;
  /**
   * Requests touching an address no point covers are answered with exception 2 (Illegal Data
   * Address), as real devices do, instead of reading the unmodeled zeros.
   */
  strictAddresses?: boolean;
}

export interface SimOptions {
  points?: SimPoint[];
  /** Units that exist even without points. */
  units?: number[];
  /** Seed for fault and random-walk randomness (default 1): a run replays exactly. */
  seed?: number;
  now?: () => number;
}

export type SimFraming = 'mbap' | 'rtu';

interface Unit {
  memory: UnitMemory;
  points: SimPoint[];
  last: Map<SimPoint, ModbusValue>;
  coverage: AddressCoverage;
  /** When the unit was first asked (glitches count from there: a client's first read is never one). */
  firstAskedAt?: number;
}

export class ModbusSim {
  private readonly units = new Map<number, Unit>();
  private readonly faults = new Map<number | 'all', SimFaults>();
  private readonly requestCounts = new Map<number, Map<number, number>>();
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly servers = new Set<net.Server>();
  private readonly sockets = new Set<net.Socket>();
  private readonly ports = new Set<SerialPort>();

  constructor(options: SimOptions = {}) {
    this.random = prng(options.seed ?? 1);
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    for (const unit of options.units ?? []) this.unit(unit);
    this.addPoints(options.points ?? []);
  }

  addPoints(points: readonly SimPoint[]): void {
    for (const point of points) {
      checkPoint(point);
      const unit = this.unit(point.unit);
      unit.points.push(point);
      unit.coverage.add(point);
      // Constants are written once, so a client can overwrite them like a real setpoint.
      if (point.generator.kind === 'constant') writePoint(unit.memory, point, point.generator.value);
    }
  }

  /** The register memory of a unit (created on first use), to inspect or poke in tests. */
  memory(unit: number): UnitMemory {
    return this.unit(unit).memory;
  }

  /** Faults for one unit, or for every unit when `unit` is omitted; unit faults override. */
  setFaults(faults: SimFaults, unit?: number): void {
    this.faults.set(unit ?? 'all', { ...faults });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Requests received so far: unit -> function code -> count (answered or not). */
  counts(): Record<number, Record<number, number>> {
    const out: Record<number, Record<number, number>> = {};
    for (const [unit, byFc] of this.requestCounts) out[unit] = Object.fromEntries(byFc);
    return out;
  }

  resetCounts(): void {
    this.requestCounts.clear();
  }

  /**
   * The answer PDU for one request, or undefined for silence. Unknown units stay silent (on a bus
   * nobody answers); the TCP side turns that into exception 11 like a gateway would.
   */
  async respond(unitId: number, pdu: Buffer): Promise<Buffer | undefined> {
    this.count(unitId, pdu[0] ?? 0);
    const unit = this.units.get(unitId);
    if (!unit) return undefined;
    const f = { ...this.faults.get('all'), ...this.faults.get(unitId) };
    if (f.dead || this.random() < (f.timeoutRate ?? 0)) return undefined;
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (this.random() < (f.exceptionRate ?? 0)) return exceptionPdu(pdu[0] ?? 0, f.exceptionCode ?? 4);
    if (f.strictAddresses && !unit.coverage.covers(pdu)) return exceptionPdu(pdu[0] ?? 0, 2);
    this.refresh(unit);
    return handlePdu(unit.memory, pdu, { swapWords: f.swapWords === true });
  }

  /** Serves Modbus TCP (`mbap`) or RTU over TCP (`rtu`); resolves with the bound address. */
  async listenTcp(
    options: { host?: string; port?: number; framing?: SimFraming } = {},
  ): Promise<{ host: string; port: number }> {
    const framing = options.framing ?? 'mbap';
    const server = net.createServer((socket) => this.serveSocket(socket, framing));
    this.servers.add(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Serves RTU on a serial device path (a real port or a pseudo-terminal). */
  async openSerial(path: string, options: { baudRate?: number } = {}): Promise<void> {
    const port = new SerialPort({ path, baudRate: options.baudRate ?? 9600, autoOpen: false });
    port.on('error', () => undefined); // a vanished pty must not crash the simulator
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.ports.add(port);
    let buffer: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    port.on('data', (data: Buffer) => {
      const { frames, rest } = takeRtuFrames(Buffer.concat([buffer, data]));
      buffer = rest;
      for (const frame of frames) {
        chain = chain.then(() => this.answerRtu(frame.unit, frame.pdu, (out) => port.write(out)));
      }
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const closing = [...this.servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.servers.clear();
    const ports = [...this.ports].map(
      (p) => new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve())),
    );
    this.ports.clear();
    await Promise.all([...closing, ...ports]);
  }

  private unit(id: number): Unit {
    let unit = this.units.get(id);
    if (!unit) {
      if (!Number.isInteger(id) || id < 0 || id > 255)
        throw modbusErrors.create('KEDGE_MODBUS_SIM_CONFIG', `sim unit ${id}: must be 0..255`);
      unit = { memory: new UnitMemory(), points: [], last: new Map(), coverage: new AddressCoverage() };
      this.units.set(id, unit);
    }
    return unit;
  }

  private count(unit: number, fc: number): void {
    const byFc = this.requestCounts.get(unit) ?? new Map<number, number>();
    byFc.set(fc, (byFc.get(fc) ?? 0) + 1);
    this.requestCounts.set(unit, byFc);
  }

  /** Moving generators are evaluated when a request arrives: no timers, always current. */
  private refresh(unit: Unit): void {
    const now = this.now();
    const t = now - this.startedAt;
    unit.firstAskedAt ??= now;
    for (const point of unit.points) {
      if (point.generator.kind === 'constant') continue;
      const value =
        point.generator.kind === 'bits'
          ? mirrorBits(unit.memory, point.generator)
          : generatorValue(point.generator, t, unit.last.get(point), this.random, now - unit.firstAskedAt);
      unit.last.set(point, value);
      writePoint(unit.memory, point, value);
    }
  }

  private serveSocket(socket: net.Socket, framing: SimFraming): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined); // clients vanish; that is their business
    socket.on('close', () => this.sockets.delete(socket));
    let buffer: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    const write = (out: Buffer) => {
      if (!socket.destroyed) socket.write(out);
    };
    socket.on('data', (data: Buffer) => {
      if (framing === 'rtu') {
        const { frames, rest } = takeRtuFrames(Buffer.concat([buffer, data]));
        buffer = rest;
        for (const f of frames) chain = chain.then(() => this.answerRtu(f.unit, f.pdu, write));
        return;
      }
      const { frames, rest } = takeMbapFrames(Buffer.concat([buffer, data]));
      buffer = rest;
      for (const f of frames) chain = chain.then(() => this.answerMbap(f.transactionId, f.unit, f.pdu, write));
    });
  }

  private async answerRtu(unit: number, pdu: Buffer, write: (out: Buffer) => void): Promise<void> {
    const answer = await this.respond(unit, pdu);
    if (answer && unit !== 0) write(rtuResponse(unit, answer)); // unit 0 is broadcast: never answered
  }

  private async answerMbap(
    transactionId: number,
    unit: number,
    pdu: Buffer,
    write: (out: Buffer) => void,
  ): Promise<void> {
    const known = this.units.has(unit);
    const answer = await this.respond(unit, pdu);
    if (answer) write(mbapResponse(transactionId, unit, answer));
    else if (!known) write(mbapResponse(transactionId, unit, exceptionPdu(pdu[0] ?? 0, 11)));
  }
}
