/**
 * Simulator points from validated device instances (`validateFiles` in src/model): every property
 * of every Modbus device becomes a point at its unit (slaveID), table and offset, encoded exactly
 * as the driver will decode it (the same deriveDecodeSpec), so a model file is its own test device.
 *
 * Values: writable properties (ReadWrite, in coils or holding registers) hold a constant (the
 * desired value, else the middle of the range) so a write sticks and reads back; read-only numbers
 * follow a sine through a band a healthy device reports (mappers/simulate: 228..232 V, 49.95..50.05
 * Hz, a load well inside a meter's range; else the middle of minimum..maximum, clipped to what the
 * raw type can hold); counters (by name, description or an energy unit) count up no faster than
 * the model's rateOfChange allows; a bitmask of bit properties (`relays-bitmask` over `relay-0`..)
 * mirrors their current bits; read-only bits toggle slowly; strings hold the example the
 * description quotes, else the property name. Devices sharing a slaveID share the unit's memory,
 * like devices sharing one real slave would.
 */
import { parsePropertyValue, type DeviceInstance, type PropertyInstance } from '../../../src/model/index.js';
import { counterRate, isCounter, operatingBand, type SimProperty } from '../../simulate/index.js';
import { deriveDecodeSpec, isBitTable, type DecodeSpec } from '../decode-spec.js';
import { modbusErrors } from '../errors.js';
import type { SimGenerator, SimPoint } from './points.js';

export interface SimDevice {
  id: string;
  unit: number;
  points: number;
}

export interface SimModel {
  points: SimPoint[];
  devices: SimDevice[];
}

const RAW_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 53), 2 ** 53],
  uint64: [0, 2 ** 53],
};
/** Raw range used when the model gives no minimum/maximum (plausible for most meters and sensors). */
const DEFAULT_RAW: readonly [number, number] = [0, 1000];

/** The DeviceModel's description of a property (instances do not carry it); hints for plausible values. */
export type DescriptionOf = (model: string, property: string) => string | undefined;

/** A lookup of property descriptions from DeviceModel documents. */
export function descriptionsOf(
  models: ReadonlyArray<{
    metadata: { name: string };
    spec: { properties?: ReadonlyArray<{ name: string; description?: string }> };
  }>,
): DescriptionOf {
  const map = new Map<string, string>();
  for (const m of models)
    for (const p of m.spec.properties ?? [])
      if (p.description) map.set(`${m.metadata.name}\u0000${p.name}`, p.description);
  return (model, property) => map.get(`${model}\u0000${property}`);
}

export function simModelFromInstances(
  instances: readonly DeviceInstance[],
  describe: DescriptionOf = () => undefined,
): SimModel {
  const points: SimPoint[] = [];
  const devices: SimDevice[] = [];
  for (const device of instances) {
    if (device.protocol !== 'modbus') continue;
    const unit = unitOf(device);
    const first = points.length;
    const supply = supplyOf(device, describe);
    for (const [index, property] of device.properties.entries())
      points.push(pointFor(device, property, unit, index, describe(device.model, property.name), supply));
    mirrorBitmasks(device, points.slice(first));
    devices.push({ id: device.id, unit, points: device.properties.length });
  }
  return { points, devices };
}

function unitOf(device: DeviceInstance): number {
  const raw = device.protocolConfig.slaveID;
  const unit = raw === undefined ? 1 : Number(raw);
  if (!Number.isInteger(unit) || unit < 0 || unit > 255)
    throw modbusErrors.create(
      'KEDGE_MODBUS_SIM_CONFIG',
      `device ${device.id}: slaveID ${String(raw)} is not a unit 0..255`,
    );
  return unit;
}

function pointFor(
  device: DeviceInstance,
  property: PropertyInstance,
  unit: number,
  index: number,
  description: string | undefined,
  supply?: SimProperty['supply'],
): SimPoint {
  const spec = deriveDecodeSpec(property.visitor, {
    label: `${device.id} property ${property.name}`,
    propertyType: property.type,
  });
  const point: SimPoint = {
    unit,
    table: spec.table,
    offset: spec.offset,
    rawType: spec.rawType,
    byteOrder: spec.byteOrder,
    scale: spec.scale,
    valueOffset: spec.valueOffset,
    generator: generatorFor(property, spec, index, description, supply),
    name: `${device.id}:${property.name}`,
  };
  if (spec.stringRegisters !== undefined) point.stringRegisters = spec.stringRegisters;
  if (spec.bit !== undefined) point.bit = spec.bit;
  return point;
}

function generatorFor(
  property: PropertyInstance,
  spec: DecodeSpec,
  index: number,
  description: string | undefined,
  supply?: SimProperty['supply'],
): SimGenerator {
  const bitValued = isBitTable(spec.table) || spec.rawType === 'bool' || spec.rawType === 'bit';
  const writable = spec.writable && property.accessMode === 'ReadWrite';
  if (spec.rawType === 'string') return { kind: 'constant', value: stringValue(property, spec, description) };
  if (bitValued) {
    if (writable || property.desired !== undefined) return { kind: 'constant', value: desiredOr(property, false) };
    return { kind: 'sine', min: 0, max: 1, periodMs: 20_000 + index * 1_000 };
  }
  const [min, max] = rangeOf(property, spec);
  if (writable || property.desired !== undefined)
    return { kind: 'constant', value: desiredOr(property, roundFor(spec, typicalSetting(min, max))) };
  const sim = { ...simProperty(property, description), supply };
  if (isCounter(sim)) {
    // Counts up from a plausible reading (a sine would count backwards), as fast as a real one
    // and never faster than the model's rateOfChange accepts. A counter with no maximum may go as
    // far as its register does (not the 0..1000 fallback).
    const raw = RAW_RANGE[spec.rawType];
    const top =
      property.maximum === undefined && raw ? Math.max(max, (raw[1] - 1) * spec.scale + spec.valueOffset) : max;
    const start = roundFor(spec, Math.min(Math.max(min, 1000), top));
    const perDay = counterRate(sim) * 86_400;
    return { kind: 'ramp', min: start, max: Math.min(top, start + perDay), periodMs: 86_400_000 };
  }
  // The model's cleansing range too: a healthy device's readings are never rejected by it.
  const range = property.cleansing?.range;
  const lo = Math.max(min, range?.min ?? -Infinity);
  // A meter's power with no stated maximum follows its volts and amps, not the 0..1000 fallback.
  const open = property.maximum === undefined && range?.max === undefined && supply !== undefined;
  const hi = open ? Number.MAX_VALUE : Math.min(max, range?.max ?? Infinity);
  const band = operatingBand(sim, hi > lo ? { lo, hi } : { lo: min, hi: max });
  // Different periods per property so values do not move in lockstep.
  return { kind: 'sine', min: band.lo, max: band.hi, periodMs: 30_000 + index * 7_000 };
}

function simProperty(property: PropertyInstance, description: string | undefined): SimProperty {
  return {
    name: property.name,
    type: property.type,
    unit: property.unit,
    minimum: property.minimum,
    maximum: property.maximum,
    description,
    maxRatePerSecond: property.cleansing?.rateOfChange?.maxPerSecond,
  };
}

/**
 * A meter's supply: the bands of its first voltage (V) and current (A) properties, so that the
 * powers it reports agree with them (a 230 V, 10 A meter does not read 120 VA).
 */
function supplyOf(device: DeviceInstance, describe: DescriptionOf): SimProperty['supply'] {
  const bandOf = (unit: string) => {
    const p = device.properties.find((q) => q.unit?.toLowerCase() === unit && q.type !== 'STRING');
    if (!p) return undefined;
    const lo = Math.max(p.minimum ?? 0, p.cleansing?.range?.min ?? -Infinity);
    const hi = Math.min(p.maximum ?? 1000, p.cleansing?.range?.max ?? Infinity);
    return operatingBand(simProperty(p, describe(device.model, p.name)), { lo, hi });
  };
  const volts = bandOf('v');
  const amps = bandOf('a');
  return volts && amps ? { volts, amps } : undefined;
}

/**
 * A register that holds bit properties' states as one word (the E1214's `relays-bitmask`, bit n
 * = `relay-n`) mirrors them: it is read from the bits at each request, so it agrees with them,
 * writes included. Found by name: `<stem>s-bitmask` or `<stem>-bitmask` over `<stem>-<n>`.
 */
function mirrorBitmasks(device: DeviceInstance, points: SimPoint[]): void {
  device.properties.forEach((property, i) => {
    const m = /^(.+?)s?-?(bitmask|mask)$/i.exec(property.name);
    const point = points[i]!;
    if (!m || isBitTable(point.table) || point.rawType === 'string') return;
    const bits: Array<{ table: SimPoint['table']; offset: number; bit: number }> = [];
    device.properties.forEach((other, j) => {
      const n = new RegExp(`^${m[1]}-(\\d+)$`, 'i').exec(other.name);
      const target = points[j]!;
      if (n && isBitTable(target.table)) bits.push({ table: target.table, offset: target.offset, bit: Number(n[1]) });
    });
    if (bits.length > 0) point.generator = { kind: 'bits', bits };
  });
}

function desiredOr(property: PropertyInstance, fallback: number | boolean): number | boolean | string {
  if (property.desired === undefined) return fallback;
  try {
    return parsePropertyValue(property.type, property.desired);
  } catch {
    return fallback; // kedge validate reports a bad desired value; the simulator still serves
  }
}

/** Engineering range: the model's bounds, clipped to what the raw type can carry after scale/offset. */
function rangeOf(property: PropertyInstance, spec: DecodeSpec): [number, number] {
  const raw = RAW_RANGE[spec.rawType];
  const toEng = (r: number) => r * spec.scale + spec.valueOffset;
  // One raw step inside the limits: rounding at the edge must not overflow the register.
  const rawLimits = raw
    ? ([toEng(raw[0] + 1), toEng(raw[1] - 1)].sort((a, b) => a - b) as [number, number])
    : undefined;
  let min = property.minimum;
  let max = property.maximum;
  if (min === undefined || max === undefined || !(max > min)) {
    const fallback = [toEng(DEFAULT_RAW[0]), toEng(DEFAULT_RAW[1])].sort((a, b) => a - b);
    min = property.minimum ?? Math.min(fallback[0]!, (property.maximum ?? fallback[1]!) - 1);
    max = property.maximum !== undefined && property.maximum > min ? property.maximum : Math.max(fallback[1]!, min + 1);
  }
  if (!rawLimits) return [min, max];
  const lo = Math.max(min, rawLimits[0]);
  const hi = Math.min(max, rawLimits[1]);
  return hi > lo ? [lo, hi] : rawLimits;
}

function roundFor(spec: DecodeSpec, value: number): number {
  if (spec.rawType.startsWith('float')) return value;
  return Math.round((value - spec.valueOffset) / spec.scale) * spec.scale + spec.valueOffset;
}

function stringValue(property: PropertyInstance, spec: DecodeSpec, description: string | undefined): string {
  const size = (spec.stringRegisters ?? 1) * 2;
  const text = property.desired ?? exampleIn(description) ?? property.name.replace(/[^\x20-\x7e]/gu, '');
  return text.slice(0, size);
}

/** The quoted example a description gives (`Model name ..., e.g. "E1214"`), if any. */
export function exampleIn(description: string | undefined): string | undefined {
  const m = /"([\x20-\x7e]+?)"/u.exec(description ?? '');
  return m?.[1];
}

/**
 * A writable number with no desired value starts at a setting a person would choose: the middle
 * of the range, or for a range spanning decades (1.5 .. 98302.5 s) its geometric middle (384 s).
 */
function typicalSetting(min: number, max: number): number {
  if (min > 0 && max / min > 100) return Math.sqrt(min * max);
  return (min + max) / 2;
}

/**
 * Glitches on one property (`<ns>/<device>:<property>`): every `everyMs` it reads `factor` times its
 * value for `widthMs`, like a meter's voltage reading disturbed by a switching surge. The demo
 * shows cleansing rejecting them (spike rule) and holding the last good value. Throws naming the
 * points there are when none has that name.
 */
export function addSpikes(
  model: SimModel,
  name: string,
  options: { everyMs: number; widthMs: number; factor: number },
): void {
  const point = model.points.find((p) => p.name === name);
  if (!point) {
    const known = model.points.map((p) => p.name).filter((n): n is string => n !== undefined);
    throw modbusErrors.create(
      'KEDGE_MODBUS_SIM_CONFIG',
      `--spike ${name}: no such property (e.g. ${known.slice(0, 3).join(', ') || 'none'})`,
    );
  }
  if (point.generator.kind === 'constant' || point.generator.kind === 'bits')
    throw modbusErrors.create('KEDGE_MODBUS_SIM_CONFIG', `--spike ${name}: the property holds a fixed value`);
  point.generator = { kind: 'spiky', base: point.generator, ...options };
}
