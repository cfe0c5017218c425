import { Type, type Static } from '@sinclair/typebox';
import type { ProtocolSchemas, SchemaIssue, VisitorContext } from './types.js';

// Registry types are imported as types only: mappers/schemas.ts imports this file.
function issue(path: SchemaIssue['path'], message: string, severity: SchemaIssue['severity'] = 'error'): SchemaIssue {
  return { path, message, severity };
}

/**
 * Serial line `protocol.configData` and visitor `configData`. `framing` is kedge-defined (unknown
 * fields are errors); the variants are discriminated by `type`.
 */
const closed = { additionalProperties: false } as const;

export const SerialFramingSchema = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('delimiter'), delimiter: Type.String({ minLength: 1, description: 'e.g. "\\r\\n"' }) },
      closed,
    ),
    Type.Object({ type: Type.Literal('fixed'), length: Type.Integer({ minimum: 1, maximum: 65536 }) }, closed),
    Type.Object(
      { type: Type.Literal('regex'), pattern: Type.String({ minLength: 1, description: 'A frame is each match.' }) },
      closed,
    ),
    Type.Object({ type: Type.Literal('nmea') }, closed),
  ],
  { description: 'How the byte stream is cut into frames.' },
);
export type SerialFraming = Static<typeof SerialFramingSchema>;

export const SerialDeviceConfigSchema = Type.Object(
  {
    serialPort: Type.String({ minLength: 1, description: 'Serial device; prefer /dev/serial/by-id/...' }),
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000, description: 'Default 9600.' })),
    dataBits: Type.Optional(Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)])),
    parity: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('even'),
        Type.Literal('odd'),
        Type.Literal('mark'),
        Type.Literal('space'),
      ]),
    ),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)])),
    framing: Type.Optional(SerialFramingSchema),
    mode: Type.Optional(
      Type.Union([Type.Literal('stream'), Type.Literal('request')], {
        description: 'stream: the device talks on its own; request: each property sends its command per poll.',
      }),
    ),
  },
  { description: 'Serial line.' },
);
export type SerialDeviceConfig = Static<typeof SerialDeviceConfigSchema>;

export const NMEA_FIELDS = {
  GGA: ['latitude', 'longitude', 'fixQuality', 'satellites', 'hdop', 'altitude'],
  RMC: ['latitude', 'longitude', 'speedKnots', 'course', 'status'],
} as const;

export const SerialVisitorConfigSchema = Type.Object(
  {
    command: Type.Optional(
      Type.String({ minLength: 1, description: 'Request mode: sent per poll; escapes like \\r\\n allowed.' }),
    ),
    pattern: Type.Optional(
      Type.String({ minLength: 1, description: 'Regex with a capture group that extracts the value.' }),
    ),
    group: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })], {
        description: 'Capture group index or name (default 1).',
        'x-kedge-expected': 'a capture group index (0, 1, ...) or name',
      }),
    ),
    sentence: Type.Optional(Type.Union([Type.Literal('GGA'), Type.Literal('RMC')], { description: 'NMEA sentence.' })),
    field: Type.Optional(Type.String({ minLength: 1, description: 'Field of the NMEA sentence.' })),
    writeCommand: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'ReadWrite properties: the bytes that set the value, {value} where it goes (e.g. "SP {value}\\r"; booleans as 1/0; escapes allowed).',
      }),
    ),
    writeAck: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Regex a frame must match to confirm a write (e.g. "^OK"); without it no answer is awaited.',
      }),
    ),
  },
  { description: 'How a property is read from the line.' },
);
export type SerialVisitorConfig = Static<typeof SerialVisitorConfigSchema>;

function compile(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern);
  } catch (err) {
    return (err as Error).message;
  }
}

export function checkSerialDevice(c: SerialDeviceConfig): SchemaIssue[] {
  if (c.framing?.type === 'regex') {
    const re = compile(c.framing.pattern);
    if (typeof re === 'string')
      return [issue(['framing', 'pattern'], `framing pattern is not a valid regular expression: ${re}`)];
  }
  return [];
}

export function checkSerialVisitor(
  v: SerialVisitorConfig,
  context: Pick<VisitorContext, 'device' | 'accessMode' | 'hasDesired'>,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  checkWrite(v, context, issues);
  const device = context.device as Partial<SerialDeviceConfig>;
  const nmea = device.framing?.type === 'nmea';
  if (device.mode === 'request' && v.command === undefined)
    issues.push(issue([], 'mode request (device configData) needs a command for every property'));
  if (device.mode !== 'request' && v.command !== undefined) {
    issues.push(
      issue(['command'], 'command is sent only in mode request; set mode: request in the device configData', 'warning'),
    );
  }
  if (nmea) {
    if (v.sentence === undefined || v.field === undefined)
      issues.push(issue([], 'framing nmea needs sentence (GGA or RMC) and field'));
  } else if (v.sentence !== undefined) {
    issues.push(issue(['sentence'], 'sentence needs framing type nmea in the device configData'));
  }
  if (v.sentence !== undefined && v.field !== undefined) {
    const fields: readonly string[] = NMEA_FIELDS[v.sentence];
    if (!fields.includes(v.field))
      issues.push(issue(['field'], `${v.sentence} has no field ${v.field}; expected one of ${fields.join(', ')}`));
  }
  if (v.pattern !== undefined) checkPattern(v.pattern, v.group ?? 1, issues);
  else if (v.group !== undefined) issues.push(issue(['group'], 'group needs pattern'));
  return issues;
}

function checkWrite(
  v: SerialVisitorConfig,
  context: Pick<VisitorContext, 'accessMode' | 'hasDesired'>,
  issues: SchemaIssue[],
): void {
  if (v.writeCommand !== undefined && !v.writeCommand.includes('{value}'))
    issues.push(issue(['writeCommand'], 'writeCommand needs {value} where the value goes (e.g. "SP {value}\\r")'));
  if (v.writeCommand !== undefined && context.accessMode !== 'ReadWrite')
    issues.push(
      issue(
        ['writeCommand'],
        'writeCommand is used only for ReadWrite properties; the model property is ReadOnly',
        'warning',
      ),
    );
  if (v.writeCommand === undefined && context.hasDesired)
    issues.push(issue([], 'a desired value needs writeCommand: the serial driver writes a property only with it'));
  if (v.writeAck !== undefined) {
    if (v.writeCommand === undefined) issues.push(issue(['writeAck'], 'writeAck needs writeCommand'));
    const re = compile(v.writeAck);
    if (typeof re === 'string') issues.push(issue(['writeAck'], `writeAck is not a valid regular expression: ${re}`));
  }
}

function checkPattern(pattern: string, group: number | string, issues: SchemaIssue[]): void {
  const re = compile(pattern);
  if (typeof re === 'string') {
    issues.push(issue(['pattern'], `pattern is not a valid regular expression: ${re}`));
    return;
  }
  const groups = new RegExp(`${re.source}|`).exec('')!.length - 1; // matching '' counts the groups
  const names = [...pattern.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]);
  if (typeof group === 'number' && group > groups) {
    issues.push(issue(['group'], `pattern has ${groups} capture group(s); group ${group} does not exist`));
  } else if (typeof group === 'string' && !names.includes(group)) {
    issues.push(
      issue(['group'], `pattern has no group named ${group}${names.length ? ` (it has ${names.join(', ')})` : ''}`),
    );
  }
}

export const serialSchemas: ProtocolSchemas = {
  deviceConfig: SerialDeviceConfigSchema,
  visitorConfig: SerialVisitorConfigSchema,
  checkDevice: (config) => checkSerialDevice(config as SerialDeviceConfig),
  checkVisitor: (visitor, context) => checkSerialVisitor(visitor as SerialVisitorConfig, context),
};
