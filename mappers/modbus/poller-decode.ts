/**
 * The poll path's decoder: reads one property straight out of a response (no slice, no Buffer
 * per property) for the register types devices use most (16/32-bit integers, float32, float64).
 * It gives exactly what codec.ts `decodeRegisters` gives (same byte/word orders, same masking of
 * each register to 16 bits, same scale/offset steps); every other case — bits, bool, bit, 64-bit
 * integers, strings, a response too short — goes through the codec itself, so its errors are the
 * codec's. At 10,000 readings/s the per-property Buffer and array were most of the mapper's
 * young-generation garbage.
 */
import { decodeBits, decodeRegisters, type ModbusValue } from './codec.js';
import { isBitTable, type DecodeSpec } from './decode-spec.js';

const scratch = new DataView(new ArrayBuffer(8));

/** Register `i` of the value (0 = most significant) as the big-endian 16-bit word it stands for. */
function word(
  values: readonly number[],
  index: number,
  count: number,
  i: number,
  words: boolean,
  bytes: boolean,
): number {
  const reg = values[index + (words ? count - 1 - i : i)]!;
  return bytes ? ((reg & 0xff) << 8) | ((reg >> 8) & 0xff) : reg & 0xffff;
}

/** The raw number for the fast-path types, or undefined when the codec must do it. */
function fastRaw(values: readonly number[], index: number, spec: DecodeSpec): number | undefined {
  const count = spec.count;
  if (index + count > values.length) return undefined; // the codec reports the short read
  const order = spec.byteOrder;
  const words = order === 'CDAB' || order === 'DCBA';
  const bytes = order === 'BADC' || order === 'DCBA';
  switch (spec.rawType) {
    case 'uint16':
      return count === 1 ? word(values, index, 1, 0, false, bytes) : undefined;
    case 'int16':
      return count === 1 ? (word(values, index, 1, 0, false, bytes) << 16) >> 16 : undefined;
    case 'uint32':
      return count === 2
        ? word(values, index, 2, 0, words, bytes) * 0x10000 + word(values, index, 2, 1, words, bytes)
        : undefined;
    case 'int32':
      return count === 2
        ? (word(values, index, 2, 0, words, bytes) << 16) | word(values, index, 2, 1, words, bytes)
        : undefined;
    case 'float32':
      if (count !== 2) return undefined;
      scratch.setUint16(0, word(values, index, 2, 0, words, bytes));
      scratch.setUint16(2, word(values, index, 2, 1, words, bytes));
      return scratch.getFloat32(0);
    case 'float64':
      if (count !== 4) return undefined;
      for (let i = 0; i < 4; i++) scratch.setUint16(i * 2, word(values, index, 4, i, words, bytes));
      return scratch.getFloat64(0);
    default:
      return undefined;
  }
}

/** Decodes the property whose registers (or bits) start at `index` of a response. */
export function decodeAt(values: readonly number[] | readonly boolean[], index: number, spec: DecodeSpec): ModbusValue {
  if (isBitTable(spec.table)) return decodeBits((values as readonly boolean[]).slice(index, index + spec.count), spec);
  const registers = values as readonly number[];
  const raw = fastRaw(registers, index, spec);
  if (raw === undefined) return decodeRegisters(registers.slice(index, index + spec.count), spec);
  // The same identity-step skipping as decodeRegisters (a float register holding -0 reads as -0).
  const scale = spec.scale ?? 1;
  const offset = spec.valueOffset ?? 0;
  const scaled = scale === 1 ? raw : raw * scale;
  return offset === 0 ? scaled : scaled + offset;
}
