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
  | { kind: 'randomWalk'; min: number; max: number; step: number }
  /** A word whose bit n is a bit point's state (a relay board's status word): read from memory. */
  | { kind: 'bits'; bits: Array<{ table: RegisterTable; offset: number; bit: number }> }
  /** `base`, with a short glitch every `everyMs` (for `widthMs`): the value times `factor`. */
  | { kind: 'spiky'; base: SimGenerator; everyMs: number; widthMs: number; factor: number };

/** Where a value sits and how it is encoded: the driver's codec spec, so both read it alike. */
export interface SimPoint extends Omit<CodecSpec, 'label'> {
  unit: number;
  table: RegisterTable;
  offset: number;
  generator: SimGenerator;
  /** `<namespace>/<device>:<property>` for points made from a model (fault injection finds them by it). */
  name?: string;
}

/** The simulators' seeded generator (src/core/random), under this module's name. */
export const prng = seededRandom;

/**
 * Value of a generator at time `t` ms; `last` is the previous value (random walk only). Glitches
 * (`spiky`) are timed from `sinceFirstAsk` (ms since the unit's first request; default `t`).
 */
export function generatorValue(
  gen: SimGenerator,
  t: number,
  last: ModbusValue | undefined,
  random: () => number,
  sinceFirstAsk = t,
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
    case 'bits':
      return 0; // computed from the unit's memory by the simulator (mirrorBits)
    case 'spiky': {
      const value = generatorValue(gen.base, t, last, random);
      const s = sinceFirstAsk;
      const glitch = s % gen.everyMs < gen.widthMs && s >= gen.everyMs;
      return glitch && typeof value === 'number' ? value * gen.factor : value;
    }
  }
}

/** The word a `bits` generator stands for: bit n set when its bit point is on. */
export function mirrorBits(memory: UnitMemory, gen: Extract<SimGenerator, { kind: 'bits' }>): number {
  let word = 0;
  for (const b of gen.bits) if (memory.readBits(b.table, b.offset, 1)[0]) word |= 1 << b.bit;
  return word;
}

/** Numbers become booleans on bit-valued points: above the middle of the range is "on". */
function forPoint(point: SimPoint, value: ModbusValue): ModbusValue {
  const wantsBool = isBitTable(point.table) || point.rawType === 'bool' || point.rawType === 'bit';
  if (!wantsBool || typeof value !== 'number') return value;
  const gen = point.generator.kind === 'spiky' ? point.generator.base : point.generator;
  const mid = gen.kind === 'sine' || gen.kind === 'ramp' || gen.kind === 'randomWalk' ? (gen.min + gen.max) / 2 : 0.5;
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
  const gen = point.generator.kind === 'spiky' ? point.generator.base : point.generator;
  if ((gen.kind === 'sine' || gen.kind === 'ramp' || gen.kind === 'randomWalk') && !(gen.max >= gen.min))
    fail('generator max must be >= min');
  if ((gen.kind === 'sine' || gen.kind === 'ramp') && !(gen.periodMs > 0)) fail('generator periodMs must be > 0');
  if (point.generator.kind === 'spiky' && !(point.generator.everyMs > point.generator.widthMs))
    fail('spikes need everyMs > widthMs');
}
