/**
 * NMEA 0183 sentences: `$<talker><type>,<fields>*<hh>` where hh is the XOR of every character
 * between `$` and `*`. Only GGA and RMC are decoded into values; other sentences (GSV, GSA, VTG...)
 * pass the checksum check and are ignored by the properties.
 */
export interface NmeaSentence {
  /** e.g. GP (GPS), GN (multi-constellation), GL. */
  talker: string;
  /** e.g. GGA, RMC. */
  type: string;
  fields: string[];
}

export type NmeaValue = number | string | null;
export type NmeaParse =
  | { ok: true; sentence: NmeaSentence }
  | { ok: false; reason: 'checksum' | 'malformed' | 'garbage'; detail: string };

export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** `GPGGA,...` -> `$GPGGA,...*hh` (used by the simulator). */
export function formatNmea(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

export function parseNmea(line: string): NmeaParse {
  if (!line.startsWith('$') && !line.startsWith('!'))
    return { ok: false, reason: 'garbage', detail: 'does not start with $' };
  const star = line.lastIndexOf('*');
  if (star < 0) return { ok: false, reason: 'checksum', detail: 'no *hh checksum' };
  const body = line.slice(1, star);
  const given = line
    .slice(star + 1)
    .trim()
    .toUpperCase();
  if (!/^[0-9A-F]{2}$/.test(given))
    return { ok: false, reason: 'checksum', detail: `checksum ${JSON.stringify(given)} is not two hex digits` };
  const expected = nmeaChecksum(body);
  if (given !== expected) return { ok: false, reason: 'checksum', detail: `checksum ${given}, computed ${expected}` };
  const [address = '', ...fields] = body.split(',');
  if (!/^[A-Z0-9]{3,6}$/.test(address))
    return { ok: false, reason: 'malformed', detail: `bad address field ${JSON.stringify(address)}` };
  // Proprietary sentences ($PUBX...) have no two-letter talker; keep the whole address as type.
  const proprietary = address.startsWith('P');
  return {
    ok: true,
    sentence: {
      talker: proprietary ? '' : address.slice(0, 2),
      type: proprietary ? address : address.slice(2),
      fields,
    },
  };
}

/** `4807.038`,`N` -> 48.1173; ddmm.mmmm (latitude) or dddmm.mmmm (longitude), S/W negative. */
export function nmeaCoordinate(value: string, hemisphere: string, degreeDigits: 2 | 3): number | null {
  if (value === '') return null;
  const shape = degreeDigits === 2 ? /^\d{4}(\.\d+)?$/ : /^\d{5}(\.\d+)?$/;
  if (!shape.test(value)) {
    throw new Error(`coordinate ${JSON.stringify(value)} is not ${degreeDigits === 2 ? 'ddmm.mmmm' : 'dddmm.mmmm'}`);
  }
  const degrees = Number(value.slice(0, degreeDigits));
  const minutes = Number(value.slice(degreeDigits));
  if (minutes >= 60) throw new Error(`coordinate ${JSON.stringify(value)} has ${minutes} minutes`);
  const sign = hemisphere === 'S' || hemisphere === 'W' ? -1 : 1;
  if (!['N', 'S', 'E', 'W'].includes(hemisphere))
    throw new Error(`hemisphere ${JSON.stringify(hemisphere)} is not N, S, E or W`);
  return sign * (degrees + minutes / 60);
}

function num(value: string | undefined, field: string): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  if (!Number.isFinite(n) || !/^-?\d+(\.\d+)?$/.test(value))
    throw new Error(`${field} ${JSON.stringify(value)} is not a number`);
  return n;
}

/** GGA: latitude, longitude, fixQuality, satellites, hdop, altitude (metres). Empty fields -> null. */
export function decodeGga(fields: string[]): Record<string, NmeaValue> {
  if (fields.length < 9) throw new Error(`GGA has ${fields.length} fields, needs at least 9`);
  return {
    latitude: nmeaCoordinate(fields[1]!, fields[2]!, 2),
    longitude: nmeaCoordinate(fields[3]!, fields[4]!, 3),
    fixQuality: num(fields[5], 'fixQuality'),
    satellites: num(fields[6], 'satellites'),
    hdop: num(fields[7], 'hdop'),
    altitude: num(fields[8], 'altitude'),
  };
}

/** RMC: status (A valid / V warning), latitude, longitude, speedKnots, course. */
export function decodeRmc(fields: string[]): Record<string, NmeaValue> {
  if (fields.length < 8) throw new Error(`RMC has ${fields.length} fields, needs at least 8`);
  const status = fields[1]!;
  if (status !== 'A' && status !== 'V') throw new Error(`RMC status ${JSON.stringify(status)} is not A or V`);
  return {
    status,
    latitude: nmeaCoordinate(fields[2]!, fields[3]!, 2),
    longitude: nmeaCoordinate(fields[4]!, fields[5]!, 3),
    speedKnots: num(fields[6], 'speedKnots'),
    course: num(fields[7], 'course'),
  };
}

export const NMEA_DECODERS: Readonly<Record<string, (fields: string[]) => Record<string, NmeaValue>>> = {
  GGA: decodeGga,
  RMC: decodeRmc,
};
