/**
 * Register <-> value codec for Modbus.
 *
 * Byte/word order names describe where the bytes of a big-endian value "ABCD" (A = most
 * significant) end up on the wire, register by register:
 *   ABCD  big-endian, registers high word first (the Modbus default)
 *   BADC  bytes swapped inside each register
 *   CDAB  register order reversed (KubeEdge isRegisterSwap)
 *   DCBA  both (fully little-endian)
 * For 64-bit values and strings the same two switches apply: "swap words" reverses the order of
 * all registers, "swap bytes" swaps the two bytes of every register. This is exactly KubeEdge's
 * SwitchRegister/SwitchByte pair, so a YAML that decodes right in KubeEdge decodes the same here.
 *
 * 64-bit integers: decoded as a JS number. Values within ±(2^53-1) are exact; larger values are
 * rounded to the nearest double (e.g. 2^63-1 reads as 9223372036854775808). Callers that need the
 * exact integer use `decodeRaw`, which returns a bigint for int64/uint64.
 *
 * Engineering value = raw * scale + valueOffset (scale first, then offset). bool, bit and string
 * are never scaled.
 */
import { MODBUS_BYTE_ORDERS, MODBUS_RAW_TYPE_REGISTERS, MODBUS_RAW_TYPES } from '../../src/model/index.js';
import { modbusErrors } from './errors.js';

// The raw types, their register counts and the byte orders are the device model's (one list: what
// kedge validate accepts is what the codec decodes).
export const RAW_TYPES = MODBUS_RAW_TYPES;
export type RawType = (typeof RAW_TYPES)[number];

export const BYTE_ORDERS = MODBUS_BYTE_ORDERS;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export type ModbusValue = number | boolean | string;

export interface CodecSpec {
  rawType: RawType;
  byteOrder?: ByteOrder;
  /** Registers a string occupies (2 ASCII characters each); ignored for other types. */
  stringRegisters?: number;
  /** Bit index 0 (least significant) .. 15 for rawType `bit`. */
  bit?: number;
  scale?: number;
  valueOffset?: number;
  /** Names the device/property/register in error messages, e.g. `default/pump-1 temperature (HoldingRegister 40)`. */
  label?: string;
}

/** How many 16-bit registers a value of this spec occupies. */
export function registerCount(spec: Pick<CodecSpec, 'rawType' | 'stringRegisters'>): number {
  if (spec.rawType === 'string') return spec.stringRegisters ?? 1;
  return MODBUS_RAW_TYPE_REGISTERS[spec.rawType];
}

function swapsOf(order: ByteOrder = 'ABCD'): { words: boolean; bytes: boolean } {
  return { words: order === 'CDAB' || order === 'DCBA', bytes: order === 'BADC' || order === 'DCBA' };
}

/** Wire registers -> big-endian bytes of the value. */
export function registersToBytes(registers: readonly number[], order: ByteOrder = 'ABCD'): Buffer {
  const { words, bytes } = swapsOf(order);
  const ordered = words ? [...registers].reverse() : registers;
  const buf = Buffer.alloc(ordered.length * 2);
  ordered.forEach((reg, i) => {
    const hi = (reg >> 8) & 0xff;
    const lo = reg & 0xff;
    buf[i * 2] = bytes ? lo : hi;
    buf[i * 2 + 1] = bytes ? hi : lo;
  });
  return buf;
}

/** Big-endian bytes of a value -> wire registers (the inverse of registersToBytes). */
export function bytesToRegisters(buf: Buffer, order: ByteOrder = 'ABCD'): number[] {
  const { words, bytes } = swapsOf(order);
  const regs: number[] = [];
  for (let i = 0; i + 1 < buf.length; i += 2) {
    const a = buf[i] ?? 0;
    const b = buf[i + 1] ?? 0;
    regs.push(bytes ? (b << 8) | a : (a << 8) | b);
  }
  return words ? regs.reverse() : regs;
}

function where(spec: CodecSpec): string {
  return spec.label ?? spec.rawType;
}

function requireRegisters(registers: readonly number[], spec: CodecSpec): readonly number[] {
  const need = registerCount(spec);
  if (registers.length < need) {
    throw modbusErrors.create(
      'KEDGE_MODBUS_SHORT_READ',
      `${where(spec)}: ${spec.rawType} needs ${need} register(s), got ${registers.length}`,
      { detail: { need, got: registers.length } },
    );
  }
  return registers.slice(0, need);
}

function checkBit(spec: CodecSpec): number {
  const bit = spec.bit ?? 0;
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) {
    throw modbusErrors.create('KEDGE_MODBUS_INVALID_VISITOR', `${where(spec)}: bit must be 0..15, got ${bit}`);
  }
  return bit;
}

/** The raw (unscaled) value; int64/uint64 come back as bigint so nothing is lost. */
export function decodeRaw(registers: readonly number[], spec: CodecSpec): number | bigint | boolean | string {
  const regs = requireRegisters(registers, spec);
  const buf = registersToBytes(regs, spec.byteOrder);
  switch (spec.rawType) {
    case 'bool':
      return buf.readUInt16BE(0) !== 0;
    case 'bit':
      return ((buf.readUInt16BE(0) >> checkBit(spec)) & 1) === 1;
    case 'int16':
      return buf.readInt16BE(0);
    case 'uint16':
      return buf.readUInt16BE(0);
    case 'int32':
      return buf.readInt32BE(0);
    case 'uint32':
      return buf.readUInt32BE(0);
    case 'int64':
      return buf.readBigInt64BE(0);
    case 'uint64':
      return buf.readBigUInt64BE(0);
    case 'float32':
      return buf.readFloatBE(0);
    case 'float64':
      return buf.readDoubleBE(0);
    case 'string':
      return decodeAscii(buf);
  }
}

function decodeAscii(buf: Buffer): string {
  // Devices pad fixed-width text fields with NULs or spaces; neither is part of the value.
  return buf.toString('latin1').replace(/[\0 ]+$/u, '');
}

/** Registers -> engineering value (raw * scale + valueOffset for numbers). */
export function decodeRegisters(registers: readonly number[], spec: CodecSpec): ModbusValue {
  const raw = decodeRaw(registers, spec);
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  // Skip identity steps: -0 + 0 is +0, and a float register holding -0 should read as -0.
  const scale = spec.scale ?? 1;
  const offset = spec.valueOffset ?? 0;
  const scaled = scale === 1 ? Number(raw) : Number(raw) * scale;
  return offset === 0 ? scaled : scaled + offset;
}

/** Coils and discrete inputs: the first bit is the value. */
export function decodeBits(bits: readonly boolean[], spec: Pick<CodecSpec, 'label'> = {}): boolean {
  const first = bits[0];
  if (first === undefined) {
    throw modbusErrors.create('KEDGE_MODBUS_SHORT_READ', `${spec.label ?? 'coil'}: no bit in the response`);
  }
  return first;
}

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function outOfRange(spec: CodecSpec, value: unknown, why: string): never {
  throw modbusErrors.create(
    'KEDGE_MODBUS_VALUE_OUT_OF_RANGE',
    `${where(spec)}: cannot write ${String(value)} as ${spec.rawType}: ${why}`,
    { detail: { value: String(value), rawType: spec.rawType } },
  );
}

/** Engineering value -> raw integer for an integer type (rounded to nearest, range-checked). */
function toRawInteger(value: number | bigint, spec: CodecSpec): bigint {
  const scale = spec.scale ?? 1;
  const offset = spec.valueOffset ?? 0;
  let raw: bigint;
  if (typeof value === 'bigint' && scale === 1 && offset === 0) raw = value;
  else {
    const n = (Number(value) - offset) / scale;
    if (!Number.isFinite(n)) outOfRange(spec, value, 'not a finite number');
    raw = BigInt(Math.round(n));
  }
  const range = INT_RANGES[spec.rawType];
  if (range && (raw < range[0] || raw > range[1]))
    outOfRange(spec, value, `raw ${raw} outside ${range[0]}..${range[1]}`);
  return raw;
}

function writeInteger(buf: Buffer, raw: bigint, rawType: RawType): void {
  switch (rawType) {
    case 'int16':
      buf.writeInt16BE(Number(raw));
      break;
    case 'uint16':
      buf.writeUInt16BE(Number(raw));
      break;
    case 'int32':
      buf.writeInt32BE(Number(raw));
      break;
    case 'uint32':
      buf.writeUInt32BE(Number(raw));
      break;
    case 'int64':
      buf.writeBigInt64BE(raw);
      break;
    default:
      buf.writeBigUInt64BE(raw);
      break;
  }
}

function encodeAscii(value: string, spec: CodecSpec): Buffer {
  const size = registerCount(spec) * 2;
  if (!/^\p{ASCII}*$/u.test(value)) outOfRange(spec, value, 'only ASCII characters fit in registers');
  if (value.length > size) outOfRange(spec, value, `longer than ${size} characters`);
  const buf = Buffer.alloc(size); // zero-filled: NUL padding
  buf.write(value, 'latin1');
  return buf;
}

function toNumber(value: ModbusValue | bigint, spec: CodecSpec): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = Number(value);
  if (value.trim() === '' || Number.isNaN(n)) outOfRange(spec, value, 'not a number');
  return n;
}

/**
 * Engineering value -> wire registers. `current` is the register as last read and is needed only
 * for rawType `bit` (a bit write is a read-modify-write of the whole register).
 */
export function encodeRegisters(value: ModbusValue | bigint, spec: CodecSpec, current?: readonly number[]): number[] {
  const buf = Buffer.alloc(registerCount(spec) * 2);
  switch (spec.rawType) {
    case 'string':
      return bytesToRegisters(encodeAscii(String(value), spec), spec.byteOrder);
    case 'bool':
      buf.writeUInt16BE(truthy(value) ? 1 : 0);
      break;
    case 'bit':
      return encodeBit(value, spec, current);
    case 'float32':
    case 'float64': {
      const n = Number(toNumber(value, spec));
      const raw = (n - (spec.valueOffset ?? 0)) / (spec.scale ?? 1);
      if (spec.rawType === 'float32') buf.writeFloatBE(raw);
      else buf.writeDoubleBE(raw);
      break;
    }
    default:
      writeInteger(buf, toRawInteger(toNumber(value, spec), spec), spec.rawType);
  }
  return bytesToRegisters(buf, spec.byteOrder);
}

function truthy(value: ModbusValue | bigint): boolean {
  if (typeof value === 'string') return value === 'true' || value === '1' || value === 'on';
  return Boolean(value);
}

function encodeBit(value: ModbusValue | bigint, spec: CodecSpec, current?: readonly number[]): number[] {
  const bit = checkBit(spec);
  const reg = current?.[0];
  if (reg === undefined) {
    throw modbusErrors.create(
      'KEDGE_MODBUS_INVALID_VISITOR',
      `${where(spec)}: writing bit ${bit} needs the current register value (read-modify-write)`,
    );
  }
  const word = registersToBytes([reg], spec.byteOrder).readUInt16BE(0);
  const next = truthy(value) ? word | (1 << bit) : word & ~(1 << bit) & 0xffff;
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(next);
  return bytesToRegisters(buf, spec.byteOrder);
}

/** Coil writes carry a boolean. */
export function encodeCoil(value: ModbusValue | bigint): boolean {
  return truthy(value);
}
