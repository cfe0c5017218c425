import type { DeviceInstance, PropertyInstance } from '../../../src/model/index.js';
import { unescapeControl } from '../escapes.js';
import { serialErrors } from '../errors.js';
import type { SerialDeviceConfig, SerialVisitorConfig } from '../../../src/model/index.js';
import { parsePropertyValue } from '../../../src/model/index.js';
import { valueText } from '../reader.js';
import { exampleFor } from './example.js';
import { valueCandidates } from './values.js';

interface Piece {
  property: PropertyInstance;
  re: RegExp | undefined;
  group: number | string;
}

/** A property's writeCommand as the simulator recognises it, and its answer. */
export interface WriteMatcher {
  property: string;
  /** The command with the value captured in group 1. */
  re: RegExp;
  /** The writeAck answer (terminated), or undefined when none is expected. */
  ack: string | undefined;
}

/**
 * A line-protocol device built from its model: answers each property `command` (request mode) or
 * streams lines (stream mode) that the property patterns read back as values in range.
 */
export class LineDeviceSim {
  readonly commands: string[];
  readonly writes: WriteMatcher[];
  /** Values written by a writeCommand: answered from then on instead of the generated ones. */
  private readonly written = new Map<string, string>();
  private readonly pieces: Piece[];
  private readonly terminate: (line: string) => string;

  constructor(readonly device: DeviceInstance) {
    const config = device.protocolConfig as SerialDeviceConfig;
    this.terminate = terminator(device, config);
    this.pieces = device.properties.map((p) => {
      const v = p.visitor as SerialVisitorConfig;
      return { property: p, re: v.pattern === undefined ? undefined : new RegExp(v.pattern), group: v.group ?? 1 };
    });
    this.commands = [
      ...new Set(
        device.properties
          .map((p) => (p.visitor as SerialVisitorConfig).command)
          .filter((c) => c !== undefined)
          .map(unescapeControl),
      ),
    ];
    this.writes = device.properties.flatMap((p) => this.writeMatcher(p));
    // Fail at start, not at the first poll: every answer must be producible.
    for (const c of this.commands) this.answer(c, 0);
    this.stream(0);
  }

  get mode(): 'stream' | 'request' {
    return (this.device.protocolConfig as SerialDeviceConfig).mode ?? 'stream';
  }

  /** The bytes answering `command` at step `n` (one line carrying every property of that command). */
  answer(command: string, n: number): string {
    const pieces = this.pieces.filter(
      (p) =>
        p.property.visitor['command'] !== undefined &&
        unescapeControl(String(p.property.visitor['command'])) === command,
    );
    const line = this.combined(pieces, n);
    if (line === undefined) {
      throw this.error(
        `cannot build one answer to ${JSON.stringify(command)} that every pattern of ${pieces.map((p) => p.property.name).join(', ')} reads back`,
      );
    }
    return this.terminate(line);
  }

  /**
   * A write the line sent: the value is kept (parsed as the property's type, rendered as the
   * driver writes it) and answered from then on; returns the ack to send, if any.
   */
  write(matcher: WriteMatcher, text: string): string | undefined {
    const property = this.pieces.find((p) => p.property.name === matcher.property)!.property;
    try {
      this.written.set(property.name, valueText(parsePropertyValue(property.type, text)));
    } catch {
      return undefined; // a value the device would refuse: no ack, the old value stays
    }
    return matcher.ack;
  }

  private writeMatcher(p: PropertyInstance): WriteMatcher[] {
    const v = p.visitor as SerialVisitorConfig;
    if (v.writeCommand === undefined) return [];
    const [head, ...rest] = unescapeControl(v.writeCommand).split('{value}');
    const tail = rest.join('{value}');
    if (rest.length !== 1 || tail === '') {
      throw this.error(
        `property ${p.name}: the simulator needs writeCommand with one {value} followed by something (a terminator such as \\r)`,
      );
    }
    const re = new RegExp(`${escapeRegex(head!)}(.*?)${escapeRegex(tail)}`);
    let ack: string | undefined;
    if (v.writeAck !== undefined) {
      const want = new RegExp(v.writeAck);
      let line: string | undefined;
      try {
        line = exampleFor(want.source, { group: -1, text: '' });
      } catch {
        line = undefined;
      }
      if (line === undefined || !want.test(line))
        throw this.error(`property ${p.name}: cannot build an answer that writeAck /${v.writeAck}/ matches`);
      ack = this.terminate(line);
    }
    return [{ property: p.name, re, ack }];
  }

  /** Stream mode: one line with every property, or a line per property when patterns collide. */
  stream(n: number): string[] {
    const all = this.combined(this.pieces, n);
    if (all !== undefined) return [this.terminate(all)];
    return this.pieces.map((p) => {
      const line = this.combined([p], n);
      if (line === undefined) throw this.error(`cannot build a line for property ${p.property.name}`);
      return this.terminate(line);
    });
  }

  private combined(pieces: Piece[], n: number): string | undefined {
    if (pieces.length > 1 && pieces.some((p) => !p.re)) return undefined;
    const texts = pieces.map((p, i) => this.piece(p, n, i));
    if (texts.some((t) => t === undefined)) return undefined;
    const line = texts.join(' ');
    return pieces.every((p, i) => readBack(p, line) === wanted(p, texts[i]!)) ? line : undefined;
  }

  /** One value rendering that the pattern reads back exactly; undefined when none does. */
  private piece(p: Piece, n: number, i: number): string | undefined {
    const written = this.written.get(p.property.name);
    for (const text of written === undefined ? valueCandidates(p.property, n, i) : [written]) {
      if (!p.re) return text;
      let line: string;
      try {
        line = exampleFor(p.re.source, { group: p.group, text });
      } catch (err) {
        throw this.error(`property ${p.property.name}: ${(err as Error).message}`);
      }
      if (readBack(p, line) === text) return line;
    }
    return undefined;
  }

  private error(why: string) {
    return serialErrors.create('KEDGE_SERIAL_SIM_CONFIG', `simulated device ${this.device.id}: ${why}`);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readBack(p: Piece, line: string): string | undefined {
  if (!p.re) return line;
  const m = p.re.exec(line);
  if (!m) return undefined;
  return typeof p.group === 'number' ? m[p.group] : m.groups?.[p.group];
}

/** The value text inside a piece (the piece is the whole line when there is no pattern). */
function wanted(p: Piece, piece: string): string | undefined {
  return readBack(p, piece);
}

function terminator(device: DeviceInstance, config: SerialDeviceConfig): (line: string) => string {
  const framing = config.framing;
  switch (framing?.type) {
    case undefined:
      return (line) => `${line}\r\n`;
    case 'delimiter': {
      const d = unescapeControl(framing.delimiter);
      return (line) => `${line}${d}`;
    }
    case 'fixed':
      return (line) => line.padEnd(framing.length, ' ').slice(0, framing.length);
    default:
      throw serialErrors.create(
        'KEDGE_SERIAL_SIM_CONFIG',
        `simulated device ${device.id}: the simulator cannot produce ${String(config.framing?.type)} framing for a line device`,
      );
  }
}
