import type { WriteLimits } from '../schemas.js';
import { deriveDecodeSpec, type ModbusVisitorInput } from './decode-spec.js';

/** Raw integer ranges (64-bit ones only as far as a double counts exactly). */
const RAW_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * What a Modbus register can take after scale and valueOffset (engineering = raw * scale + offset):
 * an integer register holds its raw range, in steps of the scale; a float32 its range; a string
 * its registers' characters. Undefined when the visitor does not decode (kedge validate says why).
 */
export function modbusWriteLimits(visitor: Record<string, unknown>, propertyType: string): WriteLimits | undefined {
  let spec: ReturnType<typeof deriveDecodeSpec>;
  try {
    spec = deriveDecodeSpec(visitor as ModbusVisitorInput, { propertyType });
  } catch {
    return undefined;
  }
  if (spec.rawType === 'string')
    return { maxLength: (spec.stringRegisters ?? 1) * 2, source: `${spec.stringRegisters ?? 1} registers of ASCII` };
  const scaled = spec.scale !== 1 ? ` scaled by ${spec.scale}` : '';
  const shifted = spec.valueOffset !== 0 ? ` plus ${spec.valueOffset}` : '';
  const source = `${spec.rawType.startsWith('i') ? 'an' : 'a'} ${spec.rawType} register${scaled}${shifted}`;
  const toEng = (raw: number) => raw * spec.scale + spec.valueOffset;
  if (spec.rawType === 'float32') {
    const [a, b] = [toEng(-FLOAT32_MAX), toEng(FLOAT32_MAX)].sort((x, y) => x - y);
    return { min: a!, max: b!, source };
  }
  const raw = RAW_RANGES[spec.rawType];
  if (!raw) return undefined; // bool, bit, float64: any value of the property's type fits
  const [min, max] = [toEng(raw[0]), toEng(raw[1])].sort((x, y) => x - y);
  return { min: min!, max: max!, step: Math.abs(spec.scale), origin: spec.valueOffset, source };
}
