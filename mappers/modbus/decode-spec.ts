/**
 * Turns a property's Modbus visitor configData into a decode spec: which table, where, how many
 * registers (or bits) to read, and how to decode them.
 *
 * kedge fields win: `rawType` decides the type, `byteOrder` the order. Without them kedge reads the
 * YAML the way KubeEdge's Modbus mapper does (mappers-go TransferData and the mapper-framework
 * Modbus example), with `limit` = number of registers:
 *   isRegisterSwap -> word order reversed, isSwap -> bytes swapped in each register
 *   (both -> DCBA); swaps are applied before a big-endian decode, then `scale` multiplies.
 *   dataType  limit 1           limit 2     limit 4
 *   int       uint16            uint32      uint64    (KubeEdge reads int unsigned; use rawType int16 for signed)
 *   float     uint16 * scale    float32     error     (one register can only hold a scaled integer)
 *   double    uint16 * scale    error       float64
 *   boolean   register != 0     -           -         (KubeEdge tests the high byte == 1, which reads
 *                                                      0x0001 as false; kedge deliberately does not)
 *   string    `limit` registers, 2 ASCII characters each
 *   bytes     unsupported: set rawType
 * Coils and discrete inputs always decode as bool from the first bit (one bit is read).
 * Deviations that only fix KubeEdge defects: a missing `scale` means 1 (Go's zero value made every
 * reading 0), an explicit `scale: 0` is rejected, and scaled `int` values keep their fraction (the
 * twin formats them by the DeviceModel property type).
 */
import { MODBUS_DEFAULT_LIMIT, MODBUS_RAW_TYPE_BY_DATA_TYPE } from '../../src/model/index.js';
import { BYTE_ORDERS, RAW_TYPES, registerCount, type ByteOrder, type CodecSpec, type RawType } from './codec.js';
import { modbusErrors } from './errors.js';

export const REGISTER_TABLES = ['CoilRegister', 'DiscreteInputRegister', 'HoldingRegister', 'InputRegister'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];

/** The visitor fields this file reads (structurally compatible with the schema's ModbusVisitorConfig). */
export interface ModbusVisitorInput {
  register?: string;
  offset?: number;
  limit?: number;
  scale?: number;
  isSwap?: boolean;
  isRegisterSwap?: boolean;
  dataType?: string;
  rawType?: string;
  byteOrder?: string;
  bit?: number;
  valueOffset?: number;
}

export interface DecodeSpec extends CodecSpec {
  table: RegisterTable;
  offset: number;
  /** Registers (holding/input) or bits (coils/discrete inputs) to read. */
  count: number;
  writable: boolean;
  rawType: RawType;
  byteOrder: ByteOrder;
  scale: number;
  valueOffset: number;
}

export interface DecodeContext {
  /** Names the device and property in messages, e.g. `default/pump-1 property flow`. */
  label?: string;
  /** The DeviceModel property type (INT, FLOAT, ...), used when the visitor has no dataType. */
  propertyType?: string;
}

/**
 * The string as one flat string. V8 keeps a string built from parts as a tree of the parts until a
 * character is read; every spec keeps its label, and as trees 5,000 labels took ~1.6 MB of heap,
 * flat ~0.6 MB (measured). Reading one character makes V8 flatten it.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

export function isBitTable(table: RegisterTable): boolean {
  return table === 'CoilRegister' || table === 'DiscreteInputRegister';
}

function invalid(label: string, what: string, detail: Record<string, unknown>): never {
  throw modbusErrors.create('KEDGE_MODBUS_INVALID_VISITOR', `${label}: ${what}`, { detail });
}

export function deriveDecodeSpec(visitor: ModbusVisitorInput, context: DecodeContext = {}): DecodeSpec {
  const table = tableOf(visitor, context.label ?? 'modbus visitor');
  const offset = visitor.offset ?? 0;
  const label = flat(`${context.label ?? 'modbus visitor'} (${table} ${offset})`);
  if (!Number.isInteger(offset) || offset < 0 || offset > 65535)
    invalid(label, `offset must be 0..65535, got ${offset}`, { offset });
  const scale = scaleOf(visitor, label);
  const valueOffset = visitor.valueOffset ?? 0;
  const writable = table === 'CoilRegister' || table === 'HoldingRegister';
  // One object literal, optional members added after: specs built with object spread each got a
  // hidden class of their own (5,000 properties: ~2 MB of V8 maps in a mapper's heap).
  if (isBitTable(table))
    return {
      table,
      offset,
      label,
      scale,
      valueOffset,
      writable,
      rawType: bitTableType(visitor, label).rawType,
      byteOrder: 'ABCD',
      count: 1,
    };
  const byteOrder = byteOrderOf(visitor, label);
  const typed = visitor.rawType !== undefined ? fromRawType(visitor, label) : fromDataType(visitor, context, label);
  const spec: DecodeSpec = {
    table,
    offset,
    label,
    scale,
    valueOffset,
    writable,
    rawType: typed.rawType,
    byteOrder,
    count: registerCount(typed),
  };
  if (typed.stringRegisters !== undefined) spec.stringRegisters = typed.stringRegisters;
  if (typed.bit !== undefined) spec.bit = typed.bit;
  return spec;
}

function tableOf(visitor: ModbusVisitorInput, label: string): RegisterTable {
  const table = REGISTER_TABLES.find((t) => t === visitor.register);
  if (!table)
    invalid(label, `register must be one of ${REGISTER_TABLES.join(', ')}, got ${String(visitor.register)}`, {
      register: visitor.register,
    });
  return table;
}

function scaleOf(visitor: ModbusVisitorInput, label: string): number {
  const scale = visitor.scale ?? 1;
  if (scale === 0 || !Number.isFinite(scale))
    invalid(label, `scale must be a non-zero number, got ${scale}`, { scale });
  return scale;
}

function byteOrderOf(visitor: ModbusVisitorInput, label: string): ByteOrder {
  if (visitor.byteOrder !== undefined) {
    const bo = BYTE_ORDERS.find((o) => o === visitor.byteOrder);
    if (!bo)
      invalid(label, `byteOrder must be one of ${BYTE_ORDERS.join(', ')}, got ${visitor.byteOrder}`, {
        byteOrder: visitor.byteOrder,
      });
    return bo;
  }
  const words = visitor.isRegisterSwap === true;
  const bytes = visitor.isSwap === true;
  if (words && bytes) return 'DCBA';
  if (words) return 'CDAB';
  return bytes ? 'BADC' : 'ABCD';
}

function bitTableType(visitor: ModbusVisitorInput, label: string): { rawType: RawType } {
  if (visitor.rawType !== undefined && visitor.rawType !== 'bool') {
    invalid(label, `coils and discrete inputs hold single bits; rawType must be bool, got ${visitor.rawType}`, {
      rawType: visitor.rawType,
    });
  }
  return { rawType: 'bool' };
}

interface Typed {
  rawType: RawType;
  stringRegisters?: number;
  bit?: number;
}

function checkLimit(visitor: ModbusVisitorInput, label: string): number | undefined {
  const limit = visitor.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 125))
    invalid(label, `limit must be 1..125, got ${limit}`, { limit });
  return limit;
}

function fromRawType(visitor: ModbusVisitorInput, label: string): Typed {
  const rawType = RAW_TYPES.find((t) => t === visitor.rawType);
  if (!rawType)
    invalid(label, `rawType must be one of ${RAW_TYPES.join(', ')}, got ${visitor.rawType}`, {
      rawType: visitor.rawType,
    });
  const limit = checkLimit(visitor, label);
  if (rawType === 'string') {
    if (limit === undefined) invalid(label, 'rawType string needs limit (registers, 2 characters each)', { rawType });
    return { rawType, stringRegisters: limit };
  }
  if (rawType === 'bit') return { rawType, bit: bitOf(visitor, label) };
  const need = registerCount({ rawType });
  if (limit !== undefined && limit < need) {
    invalid(label, `rawType ${rawType} needs ${need} registers but limit is ${limit}`, { rawType, limit, need });
  }
  return { rawType };
}

function bitOf(visitor: ModbusVisitorInput, label: string): number {
  const bit = visitor.bit;
  if (bit === undefined || !Number.isInteger(bit) || bit < 0 || bit > 15)
    invalid(label, `rawType bit needs bit 0..15, got ${String(bit)}`, { bit });
  return bit;
}

/** KubeEdge dataType + limit -> raw type, per the table in the file comment (the model's, one for all). */
const BY_DATA_TYPE: Readonly<Record<string, Readonly<Record<number, RawType>>>> = MODBUS_RAW_TYPE_BY_DATA_TYPE;
const DEFAULT_LIMIT = MODBUS_DEFAULT_LIMIT;

function fromDataType(visitor: ModbusVisitorInput, context: DecodeContext, label: string): Typed {
  const dataType = (visitor.dataType ?? context.propertyType)?.toLowerCase();
  const limit = checkLimit(visitor, label);
  if (dataType === undefined) invalid(label, 'set dataType (int, float, double, boolean, string) or rawType', {});
  if (dataType === 'string') {
    if (limit === undefined) invalid(label, 'dataType string needs limit (registers, 2 characters each)', { dataType });
    return { rawType: 'string', stringRegisters: limit };
  }
  const byLimit = BY_DATA_TYPE[dataType];
  if (!byLimit) invalid(label, `dataType ${dataType} is not supported without rawType`, { dataType });
  const effective = limit ?? DEFAULT_LIMIT[dataType] ?? 1;
  const rawType = byLimit[effective];
  if (!rawType) {
    const allowed = Object.keys(byLimit).join(' or ');
    invalid(label, `dataType ${dataType} with limit ${effective} is ambiguous; use limit ${allowed}, or set rawType`, {
      dataType,
      limit: effective,
    });
  }
  return { rawType };
}
