/**
 * The Modbus ProtocolDriver: composes the building blocks (decode specs, planner, line queue,
 * transport, codec). Devices on the same line (serial port, or TCP endpoint) share one connection
 * and one queue; each device polls its own merged requests per collect cycle.
 */
import type { DeviceInstance, PropertyValue } from '../../src/model/index.js';
import type { DriverContext, DriverModule, DriverReading, ProtocolDriver } from '../sdk/contract.js';
import { mapperErrors } from '../sdk/contract.js';
import { LinePool, type LineTuning } from './poller-line.js';
import { pollerMetrics, type PollerMetrics } from './poller-metrics.js';
import { planDevice, type PropertyPlan } from './poller-plan.js';
import { DevicePoller } from './poller.js';
import { writeAll, type PlannedWrite, type WriteOutcome } from './writer.js';

export type ModbusDriverOptions = LineTuning;

export class ModbusDriver implements ProtocolDriver {
  readonly protocol = 'modbus';
  private readonly pollers = new Map<string, DevicePoller>();
  private pool: LinePool | undefined;
  private metrics: PollerMetrics | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: ModbusDriverOptions = {},
  ) {}

  async start(): Promise<void> {
    this.metrics = pollerMetrics(this.ctx.metrics);
    this.pool = new LinePool(this.ctx.logger, this.options);
  }

  async stop(): Promise<void> {
    for (const poller of this.pollers.values()) poller.stop();
    this.pollers.clear();
    await this.pool?.closeAll();
    this.pool = undefined;
  }

  /** Throws only for a device whose visitors cannot be decoded; an unreachable device goes offline. */
  async addDevice(device: DeviceInstance): Promise<void> {
    const pool = this.pool;
    if (!pool || !this.metrics)
      throw mapperErrors.create('KEDGE_MAPPER_DRIVER_LOAD', `device ${device.id}: the Modbus driver is not started`);
    if (this.pollers.has(device.id)) await this.removeDevice(device.id);
    const plan = planDevice(device);
    const poller = new DevicePoller(plan, pool.acquire(plan.line), this.ctx, this.ctx.clock, this.metrics);
    this.pollers.set(device.id, poller);
    poller.start();
  }

  async removeDevice(deviceId: string): Promise<void> {
    const poller = this.pollers.get(deviceId);
    if (!poller) return;
    this.pollers.delete(deviceId);
    poller.stop();
    await this.pool?.release(poller.line);
  }

  /** Requests each device sends per collect cycle (all its cycle groups together). */
  requestsPerCycle(deviceId: string): number | undefined {
    return this.pollers.get(deviceId)?.plan.groups.reduce((n, g) => n + g.requests.length, 0);
  }

  async write(deviceId: string, property: string, value: PropertyValue): Promise<DriverReading> {
    const [result] = await this.writeMany(deviceId, [{ property, value }]);
    if (result!.status === 'rejected') throw result!.reason;
    return result!.value;
  }

  /**
   * Several values of one device at once (one twin delta): adjacent coils go out as one FC15,
   * adjacent holding-register properties as one FC16, each run read back with one read
   * (write-plan.ts, writer.ts). One result per write, in order.
   */
  async writeMany(
    deviceId: string,
    writes: ReadonlyArray<{ property: string; value: PropertyValue }>,
  ): Promise<WriteOutcome[]> {
    const poller = this.pollers.get(deviceId);
    if (!poller)
      throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_DEVICE', `device ${deviceId} is not served by the Modbus driver`);
    const results: WriteOutcome[] = [];
    const planned: PlannedWrite[] = [];
    writes.forEach((w, key) => {
      try {
        planned.push({ key, plan: writablePlan(poller, deviceId, w.property), value: w.value });
      } catch (reason) {
        results[key] = { status: 'rejected', reason };
      }
    });
    for (const [key, outcome] of await writeAll(poller, planned, () => this.ctx.clock.now())) results[key] = outcome;
    return results;
  }
}

function writablePlan(poller: DevicePoller, deviceId: string, property: string): PropertyPlan {
  const p = poller.plan.properties.get(property);
  if (!p) throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_PROPERTY', `device ${deviceId} has no property ${property}`);
  if (!p.spec.writable) {
    throw mapperErrors.create(
      'KEDGE_MAPPER_READ_ONLY',
      `device ${deviceId} property ${property}: ${p.spec.table} ${p.spec.offset} cannot be written (Modbus writes coils and holding registers only)`,
    );
  }
  return p;
}

export function createDriver(ctx: DriverContext, options: ModbusDriverOptions = {}): ProtocolDriver {
  return new ModbusDriver(ctx, options);
}

export const driverModule: DriverModule = { createDriver };
