import { errorText } from '../../src/core/errors/index.js';
import { parsePropertyValue, type PropertyInstance, type PropertyValue } from '../../src/model/index.js';
import { unescapeControl } from './escapes.js';
import { serialErrors } from './errors.js';
import type { Frame } from './framers/index.js';
import { NMEA_DECODERS, type NmeaValue } from './nmea.js';
import type { SerialVisitorConfig } from '../../src/model/index.js';

/** What one frame says about one property: nothing, a value, or why its value is bad. */
export type Extracted =
  | { carried: false }
  | { carried: true; value: PropertyValue }
  | { carried: true; value: null; reason: string };

const NOT_CARRIED: Extracted = { carried: false };

export interface PropertyReader {
  property: string;
  /** Request mode: the bytes sent per poll (escapes resolved). */
  command: string | undefined;
  /** ReadWrite properties with a writeCommand: how a value is written. */
  writer?: PropertyWriter;
  /** Whether this frame is this property's (pattern matches, or the NMEA sentence type). */
  matches(frame: Frame): boolean;
  extract(frame: Frame): Extracted;
}

export interface PropertyWriter {
  /** The bytes that set `value` (escapes resolved, {value} filled in). */
  bytes(value: PropertyValue): string;
  /** A frame that confirms the write; undefined: none is awaited. */
  ack: RegExp | undefined;
}

/** Compiles a property's visitor; throws KEDGE_SERIAL_INVALID_CONFIG naming the device and property. */
export function compileReader(deviceId: string, p: PropertyInstance): PropertyReader {
  const reader = compileRead(deviceId, p);
  const writer = compileWriter(deviceId, p);
  return writer ? { ...reader, writer } : reader;
}

function compileWriter(deviceId: string, p: PropertyInstance): PropertyWriter | undefined {
  const v = p.visitor as SerialVisitorConfig;
  if (v.writeCommand === undefined) return undefined;
  if (!v.writeCommand.includes('{value}'))
    throw invalid(deviceId, p.name, 'writeCommand needs {value} where the value goes');
  // Escapes are resolved in the template only: a value is sent as it is.
  const [head, ...rest] = unescapeControl(v.writeCommand).split('{value}');
  let ack: RegExp | undefined;
  if (v.writeAck !== undefined) {
    try {
      ack = new RegExp(v.writeAck);
    } catch (err) {
      throw invalid(deviceId, p.name, `writeAck ${v.writeAck} is not a regular expression: ${errorText(err)}`);
    }
  }
  return { bytes: (value) => [head, ...rest].join(valueText(value)), ack };
}

/** A value as a line protocol writes it: numbers and text as they are, booleans as 1/0. */
export function valueText(value: PropertyValue): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

function compileRead(deviceId: string, p: PropertyInstance): PropertyReader {
  const v = p.visitor as SerialVisitorConfig;
  const command = v.command === undefined ? undefined : unescapeControl(v.command);
  const parse = (text: string): Extracted => typed(p, text);
  if (v.sentence !== undefined) {
    if (v.field === undefined) throw invalid(deviceId, p.name, 'sentence needs field');
    return nmeaReader(p, v.sentence, v.field, command);
  }
  if (v.pattern === undefined) {
    // No pattern: the whole frame is the value (one value per line devices).
    return { property: p.name, command, matches: () => true, extract: (f) => parse(f.text.trim()) };
  }
  let re: RegExp;
  try {
    re = new RegExp(v.pattern);
  } catch (err) {
    throw invalid(deviceId, p.name, `pattern ${v.pattern} is not a regular expression: ${errorText(err)}`);
  }
  const group = v.group ?? 1;
  return {
    property: p.name,
    command,
    matches: (f) => re.test(f.text),
    extract(f) {
      const m = re.exec(f.text);
      if (!m) return NOT_CARRIED;
      const text = typeof group === 'number' ? m[group] : m.groups?.[group];
      if (text === undefined)
        return bad(`pattern /${re.source}/ matched but group ${group} captured nothing in ${JSON.stringify(f.text)}`);
      return parse(text);
    },
  };
}

function nmeaReader(p: PropertyInstance, sentence: string, field: string, command: string | undefined): PropertyReader {
  const decode = NMEA_DECODERS[sentence];
  const matches = (f: Frame) => f.nmea?.type === sentence;
  return {
    property: p.name,
    command,
    matches,
    extract(f) {
      if (!matches(f) || !decode) return NOT_CARRIED;
      let value: NmeaValue | undefined;
      try {
        value = decode(f.nmea!.fields)[field];
      } catch (err) {
        return bad(`${sentence}: ${errorText(err)}`);
      }
      if (value === undefined) return bad(`${sentence} has no field ${field}`);
      if (value === null) return bad(`${sentence} ${field} is empty (no fix or not moving)`);
      return typed(p, String(value));
    },
  };
}

function typed(p: PropertyInstance, text: string): Extracted {
  try {
    return { carried: true, value: parsePropertyValue(p.type, text) };
  } catch (err) {
    return bad(errorText(err));
  }
}

function bad(reason: string): Extracted {
  return { carried: true, value: null, reason };
}

function invalid(deviceId: string, property: string, why: string) {
  return serialErrors.create('KEDGE_SERIAL_INVALID_CONFIG', `device ${deviceId} property ${property}: ${why}`);
}
