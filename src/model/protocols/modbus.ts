import { Type, type Static } from '@sinclair/typebox';
import { oneOf } from '../../core/schema/index.js';
import type { ProtocolSchemas, SchemaIssue, VisitorContext } from './types.js';
import { modbusWriteLimits } from './modbus-limits.js';

// Registry types are imported as types only: mappers/schemas.ts imports this file.
function issue(path: SchemaIssue['path'], message: string, severity: SchemaIssue['severity'] = 'error'): SchemaIssue {
  return { path, message, severity };
}

/**
 * Modbus `protocol.configData` and visitor `configData`: KubeEdge's fields (its examples stay
 * valid, including `max`/`min`) plus kedge's optional ones (docs/architecture.md). The semantic
 * checks mirror what `decode-spec.ts` accepts, so a file that validates also decodes.
 */
export const MODBUS_COMMUNICATE_MODES = ['TCP', 'RTU', 'RTUOverTCP'] as const;
export const MODBUS_REGISTERS = ['CoilRegister', 'DiscreteInputRegister', 'HoldingRegister', 'InputRegister'] as const;
export const MODBUS_DATA_TYPES = ['int', 'float', 'double', 'string', 'boolean', 'bytes'] as const;
export const MODBUS_RAW_TYPES = [
  'bool',
  'bit',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
] as const;
export const MODBUS_BYTE_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;

export const ModbusDeviceConfigSchema = Type.Object(
  {
    communicateMode: Type.Optional(
      oneOf(
        MODBUS_COMMUNICATE_MODES,
        'TCP (default), RTU (serial line) or RTUOverTCP (RTU frames through a TCP gateway).',
      ),
    ),
    ip: Type.Optional(Type.String({ minLength: 1, description: 'Device or gateway address (TCP, RTUOverTCP).' })),
    port: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]{1,5}$' })], {
        description: 'TCP port (502 usually); KubeEdge examples quote it.',
        'x-kedge-expected': 'a TCP port 1..65535 (quoted or not)',
      }),
    ),
    slaveID: Type.Optional(Type.Integer({ minimum: 1, maximum: 247, description: 'Unit id 1..247 (default 1).' })),
    serialPort: Type.Optional(
      Type.String({ minLength: 1, description: 'RTU: serial device, prefer /dev/serial/by-id/...' }),
    ),
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
    parity: Type.Optional(oneOf(['none', 'even', 'odd', 'N', 'E', 'O'] as const, 'none/even/odd (KubeEdge: N/E/O).')),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'kedge: response timeout (default 1000).' })),
    interRequestDelayMs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'kedge: pause between requests (default 0 TCP, 5 RTU).' }),
    ),
    maxGap: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 124,
        description: 'kedge: registers bridged when merging reads (default 8).',
      }),
    ),
    maxRegistersPerRead: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 125, description: 'kedge: largest read (default 125).' }),
    ),
    offlineAfterFailures: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          'kedge: consecutive requests without an answer before the device is reported offline and backed off (default 3); the failed readings are bad meanwhile.',
      }),
    ),
  },
  { description: 'Modbus connection.' },
);
export type ModbusDeviceConfig = Static<typeof ModbusDeviceConfigSchema>;

export const ModbusVisitorConfigSchema = Type.Object(
  {
    register: oneOf(MODBUS_REGISTERS, 'Register table.'),
    offset: Type.Integer({ minimum: 0, maximum: 65535, description: 'First register (0-based address).' }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 125, description: 'Number of registers (or bits) to read.' }),
    ),
    scale: Type.Optional(Type.Number({ description: 'Multiplier applied after decoding (default 1).' })),
    isSwap: Type.Optional(Type.Boolean({ description: 'Swap the two bytes of each register.' })),
    isRegisterSwap: Type.Optional(Type.Boolean({ description: 'Reverse the register order.' })),
    dataType: Type.Optional(oneOf(MODBUS_DATA_TYPES, 'KubeEdge output type.')),
    max: Type.Optional(Type.Number({ description: 'KubeEdge examples: highest value (informational).' })),
    min: Type.Optional(Type.Number({ description: 'KubeEdge examples: lowest value (informational).' })),
    rawType: Type.Optional(
      oneOf(MODBUS_RAW_TYPES, 'kedge: how the registers are encoded (decides the register count).'),
    ),
    byteOrder: Type.Optional(oneOf(MODBUS_BYTE_ORDERS, 'kedge: byte order, overrides isSwap/isRegisterSwap.')),
    bit: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 15, description: 'kedge: bit of the register for rawType bit.' }),
    ),
    valueOffset: Type.Optional(Type.Number({ description: 'kedge: added after scale.' })),
  },
  { description: 'Where a property lives in the Modbus device.' },
);
export type ModbusVisitorConfig = Static<typeof ModbusVisitorConfigSchema>;
export type ModbusRawType = (typeof MODBUS_RAW_TYPES)[number];

/** Registers each fixed-width raw type occupies. */
export const MODBUS_RAW_TYPE_REGISTERS: Readonly<Record<Exclude<ModbusRawType, 'string'>, number>> = {
  bool: 1,
  bit: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

/**
 * KubeEdge's dataType + limit (registers) -> the raw type read, for visitors without rawType: one
 * table for the validator, the mapper's decoder (mappers/modbus/decode-spec.ts) and write limits.
 */
export const MODBUS_RAW_TYPE_BY_DATA_TYPE: Readonly<Record<string, Readonly<Record<number, ModbusRawType>>>> = {
  int: { 1: 'uint16', 2: 'uint32', 4: 'uint64' },
  float: { 1: 'uint16', 2: 'float32' },
  double: { 1: 'uint16', 4: 'float64' },
  boolean: { 1: 'bool' },
};
/** The registers a dataType reads when the visitor gives no limit. */
export const MODBUS_DEFAULT_LIMIT: Readonly<Record<string, number>> = { int: 1, float: 2, double: 4, boolean: 1 };
const DATA_TYPE_LIMITS: Readonly<Record<string, readonly number[]>> = Object.fromEntries(
  Object.entries(MODBUS_RAW_TYPE_BY_DATA_TYPE).map(([t, byLimit]) => [t, Object.keys(byLimit).map(Number)]),
);
const DEFAULT_LIMIT = MODBUS_DEFAULT_LIMIT;

export function checkModbusDevice(config: ModbusDeviceConfig): SchemaIssue[] {
  const mode = config.communicateMode ?? 'TCP';
  const issues: SchemaIssue[] = [];
  const modeText =
    config.communicateMode === undefined ? 'communicateMode TCP (the default)' : `communicateMode ${mode}`;
  if (mode === 'RTU') {
    if (config.serialPort === undefined) issues.push(issue([], `${modeText} needs serialPort (e.g. /dev/ttyUSB0)`));
  } else {
    const missing = (['ip', 'port'] as const).filter((k) => config[k] === undefined);
    if (missing.length > 0) {
      const hint =
        config.serialPort !== undefined && config.communicateMode === undefined
          ? '; for a serial line set communicateMode: RTU'
          : '';
      issues.push(issue([], `${modeText} needs ${missing.join(' and ')}${hint}`));
    }
  }
  if (typeof config.port === 'string' && (Number(config.port) < 1 || Number(config.port) > 65535)) {
    issues.push(issue(['port'], `port must be 1..65535, got "${config.port}"`));
  }
  const ipProblem = config.ip === undefined ? undefined : hostProblem(config.ip);
  if (ipProblem) issues.push(issue(['ip'], ipProblem));
  return issues;
}

/** A dotted-quad address must be one (999.1.1.1 is neither an address nor a name); names pass. */
function hostProblem(host: string): string | undefined {
  if (!/^\d+(\.\d+){3}$/.test(host))
    return /^\d+(\.\d+)*$/.test(host) ? `ip ${host} is not an IPv4 address` : undefined;
  const bad = host.split('.').find((part) => Number(part) > 255 || (part.length > 1 && part.startsWith('0')));
  return bad === undefined ? undefined : `ip ${host} is not an IPv4 address (${bad} is not 0..255 written plainly)`;
}

export function checkModbusVisitor(
  v: ModbusVisitorConfig,
  context: Pick<VisitorContext, 'propertyType' | 'accessMode' | 'hasDesired'>,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (v.scale === 0) issues.push(issue(['scale'], 'scale must not be 0 (every reading would be 0)'));
  const readOnlyTable = v.register === 'InputRegister' || v.register === 'DiscreteInputRegister';
  if (readOnlyTable && context.accessMode === 'ReadWrite') {
    if (context.hasDesired) {
      issues.push(
        issue(
          ['register'],
          `${v.register} is read-only in Modbus, so the desired value cannot be written; use HoldingRegister or CoilRegister`,
        ),
      );
    } else {
      issues.push(
        issue(
          ['register'],
          `${v.register} is read-only in Modbus but the model property is ReadWrite; make it ReadOnly`,
          'warning',
        ),
      );
    }
  }
  if (v.bit !== undefined && v.rawType !== 'bit')
    issues.push(issue(['bit'], `bit applies to rawType bit only (rawType is ${v.rawType ?? 'not set'})`));
  let count: number;
  if (v.register === 'CoilRegister' || v.register === 'DiscreteInputRegister') {
    if (v.rawType !== undefined && v.rawType !== 'bool')
      issues.push(issue(['rawType'], `${v.register} holds single bits: rawType must be bool, got ${v.rawType}`));
    count = 1;
  } else if (v.rawType !== undefined) {
    count = checkRawType(v, issues);
  } else {
    count = checkDataType(v, context.propertyType, issues);
  }
  if (v.offset + count - 1 > 65535)
    issues.push(issue(['limit'], `offset ${v.offset} + ${count} registers runs past the last address 65535`));
  return issues;
}

function checkRawType(v: ModbusVisitorConfig, issues: SchemaIssue[]): number {
  const rawType = v.rawType as ModbusRawType;
  if (rawType === 'string') {
    if (v.limit === undefined)
      issues.push(issue([], 'rawType string needs limit (registers to read, 2 characters each, 1..125)'));
    return v.limit ?? 1;
  }
  if (rawType === 'bit' && v.bit === undefined) issues.push(issue([], 'rawType bit needs bit (0..15)'));
  const need = MODBUS_RAW_TYPE_REGISTERS[rawType];
  if (v.limit !== undefined && v.limit < need) {
    issues.push(
      issue(
        ['limit'],
        `rawType ${rawType} needs limit ${need} (${need * 16}-bit value in ${need} registers), got ${v.limit}`,
      ),
    );
  } else if (v.limit !== undefined && v.limit > need) {
    issues.push(
      issue(
        ['limit'],
        `rawType ${rawType} occupies ${need} register(s); limit ${v.limit} reads ${v.limit - need} more that are ignored`,
        'warning',
      ),
    );
  }
  return Math.max(need, v.limit ?? need);
}

function checkDataType(v: ModbusVisitorConfig, propertyType: string, issues: SchemaIssue[]): number {
  const dataType = v.dataType ?? propertyType.toLowerCase();
  const at = v.dataType !== undefined ? ['dataType'] : [];
  const from =
    v.dataType !== undefined ? `dataType ${dataType}` : `property type ${propertyType} (no dataType or rawType)`;
  if (dataType === 'string') {
    if (v.limit === undefined)
      issues.push(issue([], `${from} needs limit (registers to read, 2 characters each, 1..125)`));
    return v.limit ?? 1;
  }
  const limits = DATA_TYPE_LIMITS[dataType];
  if (!limits) {
    issues.push(issue(at, `${from} cannot be decoded without rawType; set rawType (e.g. uint16, float32, string)`));
    return v.limit ?? 1;
  }
  const limit = v.limit ?? DEFAULT_LIMIT[dataType] ?? 1;
  if (!limits.includes(limit)) {
    issues.push(
      issue(
        v.limit !== undefined ? ['limit'] : at,
        `${from} with limit ${limit} is ambiguous: use limit ${limits.join(' or ')}, or set rawType (e.g. float32 for 2 registers)`,
      ),
    );
  }
  return limit;
}

export const modbusSchemas: ProtocolSchemas = {
  deviceConfig: ModbusDeviceConfigSchema,
  visitorConfig: ModbusVisitorConfigSchema,
  checkDevice: (config) => checkModbusDevice(config as ModbusDeviceConfig),
  checkVisitor: (visitor, context) => checkModbusVisitor(visitor as ModbusVisitorConfig, context),
  writeLimits: modbusWriteLimits,
};
