/**
 * What the Modbus driver derives from a device instance before it polls: which line it is on, its
 * unit, the line's timing, and per collect cycle the merged read requests. Pure (no I/O), so the
 * request count per cycle can be checked against the planner's minimum without a device.
 */
import type { DeviceInstance, PropertyInstance } from '../../src/model/index.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import { modbusErrors } from './errors.js';
import { deriveDecodeSpec, type DecodeSpec } from './decode-spec.js';
import { planReads, type ReadRequest } from './planner.js';
import { interFrameGapMs, type SerialFraming } from './rtu-timing.js';
import type { CommunicateMode, TransportOptions } from './transport.js';

export interface LineSettings {
  /** Identifies the physical line: every device with the same key shares one queue and connection. */
  key: string;
  transport: TransportOptions;
  timeoutMs: number;
  interRequestDelayMs: number;
  rtu?: SerialFraming;
}

export interface PropertyPlan {
  property: PropertyInstance;
  spec: DecodeSpec;
}

export interface CycleGroup {
  cycleMs: number;
  requests: Array<ReadRequest<string>>;
}

export interface DevicePlan {
  id: string;
  unit: number;
  line: LineSettings;
  properties: Map<string, PropertyPlan>;
  /** One entry per distinct collectCycleMs, each planned on its own. */
  groups: CycleGroup[];
  maxGap: number;
  maxRegistersPerRead: number;
  /** Consecutive failed requests after which the device is offline (and backed off). */
  offlineAfterFailures: number;
}

/** `offlineAfterFailures` when the device does not say: one lost answer on a busy bus is not an outage. */
export const DEFAULT_OFFLINE_AFTER_FAILURES = 3;

const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined;

export function lineSettings(config: Record<string, unknown>): LineSettings {
  const mode = (config.communicateMode as CommunicateMode | undefined) ?? 'TCP';
  const timeoutMs = num(config.timeoutMs) ?? 1000;
  if (mode === 'RTU') {
    const path = String(config.serialPort ?? '');
    const rtu: SerialFraming = { baudRate: num(config.baudRate) ?? 9600 };
    if (config.dataBits !== undefined) rtu.dataBits = config.dataBits as 7 | 8;
    if (config.parity !== undefined) rtu.parity = config.parity as SerialFraming['parity'];
    if (config.stopBits !== undefined) rtu.stopBits = config.stopBits as 1 | 2;
    return {
      key: `rtu:${path}`,
      transport: { mode, path, ...rtu, timeoutMs, gapMs: interFrameGapMs(rtu) },
      timeoutMs,
      interRequestDelayMs: num(config.interRequestDelayMs) ?? 5,
      rtu,
    };
  }
  const host = String(config.ip ?? '127.0.0.1');
  const port = num(config.port) ?? 502;
  return {
    key: `${mode === 'TCP' ? 'tcp' : 'rtu-over-tcp'}:${host}:${port}`,
    transport: { mode, host, port, timeoutMs },
    timeoutMs,
    interRequestDelayMs: num(config.interRequestDelayMs) ?? (mode === 'TCP' ? 0 : 5),
  };
}

/** Throws KEDGE_MODBUS_INVALID_VISITOR / KEDGE_MODBUS_READ_TOO_LARGE naming the device and property. */
export function planDevice(device: DeviceInstance): DevicePlan {
  const config = device.protocolConfig;
  const maxGap = num(config.maxGap) ?? 8;
  const maxRegistersPerRead = num(config.maxRegistersPerRead) ?? 125;
  const properties = new Map<string, PropertyPlan>();
  for (const property of device.properties) {
    const spec = deriveDecodeSpec(property.visitor, {
      label: `${device.id} property ${property.name}`,
      propertyType: property.type,
    });
    properties.set(property.name, { property, spec });
  }
  return {
    id: device.id,
    unit: num(config.slaveID) ?? 1,
    line: lineSettings(config),
    properties,
    groups: withDevice(device.id, () => planGroups(properties, { maxGap, maxRegistersPerRead })),
    maxGap,
    maxRegistersPerRead,
    offlineAfterFailures: num(config.offlineAfterFailures) ?? DEFAULT_OFFLINE_AFTER_FAILURES,
  };
}

/** Planner errors name the property; the device id makes them findable in a set of hundreds. */
function withDevice<T>(id: string, plan: () => T): T {
  try {
    return plan();
  } catch (err) {
    if (!isKedgeError(err)) throw err;
    throw modbusErrors.create(err.code as Parameters<typeof modbusErrors.create>[0], `device ${id}: ${err.message}`, {
      cause: err,
      detail: err.detail,
    });
  }
}

function planGroups(
  properties: Map<string, PropertyPlan>,
  options: { maxGap: number; maxRegistersPerRead: number },
): CycleGroup[] {
  const byCycle = new Map<number, PropertyPlan[]>();
  for (const p of properties.values()) {
    const list = byCycle.get(p.property.collectCycleMs) ?? [];
    list.push(p);
    byCycle.set(p.property.collectCycleMs, list);
  }
  return [...byCycle.entries()]
    .sort(([a], [b]) => a - b)
    .map(([cycleMs, list]) => ({
      cycleMs,
      requests: planReads(
        list.map((p) => ({ key: p.property.name, table: p.spec.table, offset: p.spec.offset, count: p.spec.count })),
        options,
      ),
    }));
}

/** Requests per cycle of the whole device (each group counted once). */
export function requestsPerCycle(plan: DevicePlan): number {
  return plan.groups.reduce((n, g) => n + g.requests.length, 0);
}
