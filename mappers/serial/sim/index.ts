/**
 * `startSerialSim`: one end of a serial line (a pty from socat, or a real port wired to the
 * mapper's) emulating the modeled serial devices: NMEA GPS receivers stream GGA + RMC, line
 * devices answer their commands or stream lines their patterns read. Reopens the path when it
 * disappears (socat restarted) so an unplug test can replug.
 */
import { SerialPort } from 'serialport';
import type { DeviceInstance } from '../../../src/model/index.js';
import { serialErrors } from '../errors.js';
import type { SerialDeviceConfig } from '../../../src/model/index.js';
import { GpsTrack, type GpsOptions } from './gps.js';
import { LineDeviceSim } from './line-device.js';
import { seededRandom } from './values.js';

export { GpsTrack, coordinate, type GpsOptions } from './gps.js';
export { LineDeviceSim } from './line-device.js';
export { exampleFor } from './example.js';

export interface SerialSimFaults {
  /** Probability 0..1 that a sentence goes out with a wrong checksum. */
  badChecksumRate?: number;
  /** Probability 0..1 that a garbage line is written before a frame. */
  garbageRate?: number;
}

export interface SerialSimOptions {
  path: string;
  /** Resolved devices (protocol serial); others are ignored. */
  instances?: DeviceInstance[];
  /** Or Device/DeviceModel YAML files (checked like kedge validate). */
  modelFiles?: string[];
  /** Streaming period (default 1000 ms, the usual 1 Hz NMEA rate). */
  intervalMs?: number;
  faults?: SerialSimFaults;
  seed?: number;
  gps?: GpsOptions;
}

export interface SerialSimStats {
  sentences: number;
  lines: number;
  answers: number;
  badChecksums: number;
  garbage: number;
}

export interface SerialSim {
  readonly devices: Array<{ id: string; kind: 'gps' | 'line'; mode: 'stream' | 'request' }>;
  readonly stats: SerialSimStats;
  setFaults(faults: SerialSimFaults): void;
  stop(): Promise<void>;
}

export async function startSerialSim(o: SerialSimOptions): Promise<SerialSim> {
  const instances = o.instances ?? (await loadInstances(o.modelFiles ?? []));
  const serial = instances.filter((d) => d.protocol === 'serial');
  if (serial.length === 0)
    throw serialErrors.create(
      'KEDGE_SERIAL_SIM_CONFIG',
      'no serial Device to simulate (a Device with protocolName serial and its DeviceModel are needed)',
    );
  const sim = new SerialSimulator(serial, o);
  await sim.start();
  return sim;
}

async function loadInstances(files: string[]): Promise<DeviceInstance[]> {
  const { validateFiles } = await import('../../../src/model/index.js');
  const result = await validateFiles(files);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw serialErrors.create(
      'KEDGE_SERIAL_SIM_CONFIG',
      `${errors.length} error(s) in ${files.join(', ')}; run kedge validate: ${errors[0]!.message}`,
    );
  }
  return result.instances;
}

class SerialSimulator implements SerialSim {
  readonly devices: SerialSim['devices'] = [];
  readonly stats: SerialSimStats = { sentences: 0, lines: 0, answers: 0, badChecksums: 0, garbage: 0 };
  private readonly gps: GpsTrack[] = [];
  private readonly lines: LineDeviceSim[] = [];
  private readonly random: () => number;
  private faults: SerialSimFaults;
  private port: SerialPort | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private reopen: NodeJS.Timeout | undefined;
  private input = '';
  private step = 0;
  private stopped = false;

  constructor(
    serial: DeviceInstance[],
    private readonly o: SerialSimOptions,
  ) {
    this.random = seededRandom(o.seed ?? 1);
    this.faults = o.faults ?? {};
    for (const d of serial) {
      const config = d.protocolConfig as SerialDeviceConfig;
      if (config.framing?.type === 'nmea') {
        this.gps.push(new GpsTrack(o.gps));
        this.devices.push({ id: d.id, kind: 'gps', mode: 'stream' });
      } else {
        const line = new LineDeviceSim(d);
        this.lines.push(line);
        this.devices.push({ id: d.id, kind: 'line', mode: line.mode });
      }
    }
  }

  setFaults(faults: SerialSimFaults): void {
    this.faults = faults;
  }

  async start(): Promise<void> {
    await this.open();
    const interval = this.o.intervalMs ?? 1000;
    this.ticker = setInterval(() => this.tick(interval), interval);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.reopen);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private open(): Promise<void> {
    const port = new SerialPort({ path: this.o.path, baudRate: 9600, autoOpen: false });
    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err)
          return reject(
            serialErrors.create('KEDGE_SERIAL_OPEN_FAILED', `simulator cannot open ${this.o.path}: ${err.message}`, {
              cause: err,
            }),
          );
        this.port = port;
        resolve();
      });
      port.on('data', (chunk: Buffer) => this.received(chunk.toString('latin1')));
      port.on('error', () => undefined);
      port.on('close', () => this.lost(port));
    });
  }

  /** The other end went away (socat killed): try the path again until it is back. */
  private lost(port: SerialPort): void {
    if (this.stopped || this.port !== port) return;
    this.port = undefined;
    const again = () => {
      if (this.stopped) return;
      this.open().catch(() => (this.reopen = setTimeout(again, 200)));
    };
    this.reopen = setTimeout(again, 200);
  }

  private tick(intervalMs: number): void {
    this.step++;
    for (const track of this.gps) {
      track.advance(intervalMs / 1000);
      for (const s of track.sentences(new Date())) this.send(`${s}\r\n`, 'sentence');
    }
    for (const line of this.lines) {
      if (line.mode === 'stream') for (const l of line.stream(this.step)) this.send(l, 'line');
    }
  }

  private received(text: string): void {
    this.input = (this.input + text).slice(-512);
    for (;;) {
      const hit = this.nextCommand();
      if (!hit) return;
      this.input = this.input.slice(hit.at + hit.length);
      const answer = hit.respond();
      if (answer === undefined) continue;
      this.stats.answers++;
      this.send(answer, 'answer');
    }
  }

  /** The earliest command (a poll's or a property's writeCommand) in the input, and its answer. */
  private nextCommand(): { at: number; length: number; respond: () => string | undefined } | undefined {
    let best: { at: number; length: number; respond: () => string | undefined } | undefined;
    for (const device of this.lines) {
      for (const command of device.commands) {
        const at = this.input.indexOf(command);
        if (at >= 0 && (!best || at < best.at))
          best = { at, length: command.length, respond: () => device.answer(command, ++this.step) };
      }
      for (const w of device.writes) {
        const m = w.re.exec(this.input);
        if (m && (!best || m.index < best.at))
          best = { at: m.index, length: m[0].length, respond: () => device.write(w, m[1]!) };
      }
    }
    return best;
  }

  private send(frame: string, kind: 'sentence' | 'line' | 'answer'): void {
    if (!this.port) return;
    if (this.chance(this.faults.garbageRate)) {
      this.stats.garbage++;
      this.port.write(Buffer.from('\x00\xff#garbage~~\r\n', 'latin1'));
    }
    let out = frame;
    if (kind === 'sentence' && this.chance(this.faults.badChecksumRate)) {
      this.stats.badChecksums++;
      out = corruptChecksum(frame);
    }
    if (kind === 'sentence') this.stats.sentences++;
    if (kind === 'line') this.stats.lines++;
    this.port.write(Buffer.from(out, 'latin1'));
  }

  private chance(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }
}

/** `...*4A\r\n` -> `...*4B\r\n`: still two hex digits, never the right ones. */
export function corruptChecksum(sentence: string): string {
  const star = sentence.lastIndexOf('*');
  const hex = sentence.slice(star + 1, star + 3);
  const wrong = ((parseInt(hex, 16) + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0');
  return `${sentence.slice(0, star + 1)}${wrong}${sentence.slice(star + 3)}`;
}
