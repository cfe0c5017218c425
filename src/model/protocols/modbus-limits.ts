import type { ModbusRawType, ModbusVisitorConfig } from './modbus.js';
import { MODBUS_DEFAULT_LIMIT, MODBUS_RAW_TYPE_BY_DATA_TYPE } from './modbus.js';
import type { WriteLimits } from './types.js';

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
 * its registers' characters; coils and discrete inputs any boolean. The raw type is the one the
 * mapper decodes (rawType, else KubeEdge's dataType and limit: MODBUS_RAW_TYPE_BY_DATA_TYPE).
 * Undefined when nothing is known (kedge validate says why a visitor does not decode).
 */
export function modbusWriteLimits(visitor: Record<string, unknown>, propertyType: string): WriteLimits | undefined {
  const v = visitor as ModbusVisitorConfig;
  // Bits take any boolean; a register table that is not one is kedge validate's to name.
  if (v.register !== 'HoldingRegister' && v.register !== 'InputRegister') return undefined;
  const raw = rawTypeOf(v, propertyType);
  if (raw === undefined) return undefined;
  if (raw === 'string') {
    const registers = v.limit ?? 1;
    return { maxLength: registers * 2, source: `${registers} registers of ASCII` };
  }
  const scale = typeof v.scale === 'number' && v.scale !== 0 ? v.scale : 1;
  const offset = typeof v.valueOffset === 'number' ? v.valueOffset : 0;
  const scaled = scale !== 1 ? ` scaled by ${scale}` : '';
  const shifted = offset !== 0 ? ` plus ${offset}` : '';
  const source = `${raw.startsWith('i') ? 'an' : 'a'} ${raw} register${scaled}${shifted}`;
  const toEng = (n: number) => n * scale + offset;
  if (raw === 'float32') {
    const [a, b] = [toEng(-FLOAT32_MAX), toEng(FLOAT32_MAX)].sort((x, y) => x - y);
    return { min: a!, max: b!, source };
  }
  const range = RAW_RANGES[raw];
  if (!range) return undefined; // bool, bit, float64: any value of the property's type fits
  const [min, max] = [toEng(range[0]), toEng(range[1])].sort((x, y) => x - y);
  return { min: min!, max: max!, step: Math.abs(scale), origin: offset, source };
}

function rawTypeOf(v: ModbusVisitorConfig, propertyType: string): ModbusRawType | undefined {
  if (v.rawType !== undefined) return v.rawType;
  const dataType = (v.dataType ?? propertyType).toLowerCase();
  if (dataType === 'string') return 'string';
  const limit = v.limit ?? MODBUS_DEFAULT_LIMIT[dataType] ?? 1;
  return MODBUS_RAW_TYPE_BY_DATA_TYPE[dataType]?.[limit];
}
