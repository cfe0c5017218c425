/**
 * Simulator points: typed values placed into a unit's register memory, driven by a generator.
 * The layer that builds points from a DeviceModel comes later; this is its input type.
 */
import { encodeRegisters, registerCount, type CodecSpec, type ModbusValue } from '../codec.js';
import { isBitTable, type RegisterTable } from '../decode-spec.js';
import { modbusErrors } from '../errors.js';
import type { UnitMemory } from './memory.js';
import { seededRandom } from '../../../src/core/random/index.js';

export type SimGenerator =
  | { kind: 'constant'; value: ModbusValue }
  | { kind: 'sine'; min: number; max: number; periodMs: number }
  | { kind: 'ramp'; min: number; max: number; periodMs: number }
  | { kind: 'randomWalk'; min: number; max: number; step: number };

/** Where a value sits and how it is encoded: the driver's codec spec, so both read it alike. */
export interface SimPoint extends Omit<CodecSpec, 'label'> {
  unit: number;
  table: RegisterTable;
  offset: number;
  generator: SimGenerator;
}

/** The simulators' seeded generator (src/core/random), under this module's name. */
export const prng = seededRandom;

/** Value of a generator at time `t` ms; `last` is the previous value (random walk only). */
export function generatorValue(
  gen: SimGenerator,
  t: number,
  last: ModbusValue | undefined,
  random: () => number,
): ModbusValue {
  switch (gen.kind) {
    case 'constant':
      return gen.value;
    case 'sine': {
      const mid = (gen.min + gen.max) / 2;
      return mid + ((gen.max - gen.min) / 2) * Math.sin((2 * Math.PI * t) / gen.periodMs);
    }
    case 'ramp':
      return gen.min + (gen.max - gen.min) * ((t % gen.periodMs) / gen.periodMs);
    case 'randomWalk': {
      const from = typeof last === 'number' ? last : (gen.min + gen.max) / 2;
      const next = from + (random() * 2 - 1) * gen.step;
      return Math.min(gen.max, Math.max(gen.min, next));
    }
  }
}

/** Numbers become booleans on bit-valued points: above the middle of the range is "on". */
function forPoint(point: SimPoint, value: ModbusValue): ModbusValue {
  const wantsBool = isBitTable(point.table) || point.rawType === 'bool' || point.rawType === 'bit';
  if (!wantsBool || typeof value !== 'number') return value;
  const gen = point.generator;
  const mid = gen.kind === 'constant' ? 0.5 : (gen.min + gen.max) / 2;
  return value > mid;
}

export function writePoint(memory: UnitMemory, point: SimPoint, value: ModbusValue): void {
  const v = forPoint(point, value);
  if (isBitTable(point.table)) {
    memory.writeBits(point.table, point.offset, [Boolean(v)]);
    return;
  }
  const spec = { ...point, label: `sim unit ${point.unit} ${point.table} ${point.offset}` };
  const current = memory.readRegisters(point.table, point.offset, registerCount(point));
  memory.writeRegisters(point.table, point.offset, encodeRegisters(v, spec, current));
}

/** Rejects points that cannot be placed, naming the point. */
export function checkPoint(point: SimPoint): void {
  const where = `sim point unit ${point.unit} ${point.table} ${point.offset}`;
  const fail = (why: string): never => {
    throw modbusErrors.create('KEDGE_MODBUS_SIM_CONFIG', `${where}: ${why}`);
  };
  if (!Number.isInteger(point.unit) || point.unit < 0 || point.unit > 255) fail('unit must be 0..255');
  const count = isBitTable(point.table) ? 1 : registerCount(point);
  if (!Number.isInteger(point.offset) || point.offset < 0 || point.offset + count > 65536)
    fail('offset out of 0..65535');
  const gen = point.generator;
  if (gen.kind !== 'constant' && !(gen.max >= gen.min)) fail('generator max must be >= min');
  if ((gen.kind === 'sine' || gen.kind === 'ramp') && !(gen.periodMs > 0)) fail('generator periodMs must be > 0');
}
