/**
 * Simulator points from validated device instances (`validateFiles` in src/model): every property
 * of every Modbus device becomes a point at its unit (slaveID), table and offset, encoded exactly
 * as the driver will decode it (the same deriveDecodeSpec), so a model file is its own test device.
 *
 * Values: writable properties (ReadWrite, in coils or holding registers) hold a constant (the
 * desired value, else the middle of the range) so a write sticks and reads back; read-only numbers
 * follow a sine through the property's minimum..maximum (clipped to what the raw type can hold);
 * read-only bits toggle slowly; strings hold the property name. Devices sharing a slaveID share the
 * unit's memory, like devices sharing one real slave would.
 */
import { parsePropertyValue, type DeviceInstance, type PropertyInstance } from '../../../src/model/index.js';
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

export function simModelFromInstances(instances: readonly DeviceInstance[]): SimModel {
  const points: SimPoint[] = [];
  const devices: SimDevice[] = [];
  for (const device of instances) {
    if (device.protocol !== 'modbus') continue;
    const unit = unitOf(device);
    device.properties.forEach((property, index) => points.push(pointFor(device, property, unit, index)));
    devices.push({ id: device.id, unit, points: device.properties.length });
  }
  return { points, devices };
}

function unitOf(device: DeviceInstance): number {
  const raw = device.protocolConfig.slaveID;
  const unit = raw === undefined ? 1 : Number(raw);
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw modbusErrors.create('KEDGE_MODBUS_SIM_CONFIG', `device ${device.id}: slaveID ${String(raw)} is not a unit 0..255`);
  return unit;
}

function pointFor(device: DeviceInstance, property: PropertyInstance, unit: number, index: number): SimPoint {
  const spec = deriveDecodeSpec(property.visitor, { label: `${device.id} property ${property.name}`, propertyType: property.type });
  const point: SimPoint = { unit, table: spec.table, offset: spec.offset, rawType: spec.rawType, byteOrder: spec.byteOrder, scale: spec.scale, valueOffset: spec.valueOffset, generator: generatorFor(property, spec, index) };
  if (spec.stringRegisters !== undefined) point.stringRegisters = spec.stringRegisters;
  if (spec.bit !== undefined) point.bit = spec.bit;
  return point;
}

function generatorFor(property: PropertyInstance, spec: DecodeSpec, index: number): SimGenerator {
  const bitValued = isBitTable(spec.table) || spec.rawType === 'bool' || spec.rawType === 'bit';
  const writable = spec.writable && property.accessMode === 'ReadWrite';
  if (spec.rawType === 'string') return { kind: 'constant', value: stringValue(property, spec) };
  if (bitValued) {
    if (writable || property.desired !== undefined) return { kind: 'constant', value: desiredOr(property, false) };
    return { kind: 'sine', min: 0, max: 1, periodMs: 20_000 + index * 1_000 };
  }
  const [min, max] = rangeOf(property, spec);
  if (writable || property.desired !== undefined) return { kind: 'constant', value: desiredOr(property, roundFor(spec, (min + max) / 2)) };
  // Different periods per property so values do not move in lockstep.
  return { kind: 'sine', min, max, periodMs: 30_000 + index * 7_000 };
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
  const rawLimits = raw ? [toEng(raw[0] + 1), toEng(raw[1] - 1)].sort((a, b) => a - b) as [number, number] : undefined;
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

function stringValue(property: PropertyInstance, spec: DecodeSpec): string {
  const size = (spec.stringRegisters ?? 1) * 2;
  const text = property.desired ?? property.name.replace(/[^\x20-\x7e]/gu, '');
  return text.slice(0, size);
}
