/** Shared set-up of the Modbus hil-tests: devices, a mapper in this process, device sets over MQTT. */
import { mapperDefaults } from '../../src/core/config/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopics, type MapperDeviceSet } from '../../src/contracts/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { createMetricsRegistry, type Registry } from '../../src/core/metrics/index.js';
import type { DeviceInstance, PropertyInstance } from '../../src/model/index.js';
import { createDriver } from '../../mappers/modbus/driver.js';
import type { LineTuning } from '../../mappers/modbus/poller-line.js';
import { driverRegistry, MapperRuntime, mapperBuffer } from '../../mappers/sdk/index.js';
import type { TestClient } from '../support/mqtt-client.js';

export const NODE = 'edge-test';

export function prop(
  name: string,
  type: PropertyInstance['type'],
  visitor: Record<string, unknown>,
  extra: Partial<PropertyInstance> = {},
): PropertyInstance {
  return {
    name,
    type,
    accessMode: 'ReadOnly',
    visitor,
    collectCycleMs: 100,
    reportCycleMs: 1000,
    reportToCloud: true,
    ...extra,
  };
}

export function modbusDevice(
  name: string,
  config: Record<string, unknown>,
  properties: PropertyInstance[],
): DeviceInstance {
  return {
    id: `default/${name}`,
    namespace: 'default',
    name,
    model: `${name}-model`,
    protocol: 'modbus',
    nodeName: NODE,
    protocolConfig: config,
    properties,
  };
}

export function deviceSet(version: number, devices: DeviceInstance[], protocol = 'modbus'): MapperDeviceSet {
  return { node: NODE, protocol, version, devices };
}

export async function publishSet(client: TestClient, set: MapperDeviceSet): Promise<void> {
  await client.publish(edgeTopics.mapperDevices(set.protocol), set, { retain: true });
}

export interface InProcessMapper {
  runtime: MapperRuntime;
  metrics: Registry;
  stop(): Promise<void>;
}

/** A mapper in this process with short back-offs, so a dead unit is probed again within a test. */
export async function startMapper(
  url: string,
  name = 'test-mapper',
  protocols = ['modbus'],
  tuning: LineTuning = { backoff: { initialMs: 300, maxMs: 1000 }, reconnect: { initialMs: 100, maxMs: 500 } },
): Promise<InProcessMapper> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kedge-mapper-hil-'));
  const metrics = createMetricsRegistry();
  const runtime = new MapperRuntime({
    buffer: mapperBuffer(mapperDefaults()),
    name,
    node: NODE,
    protocols,
    mqttUrl: url,
    dataDir,
    logger: silentLogger(),
    clock: systemClock,
    metrics,
    reconnectPeriodMs: 200,
    drivers: driverRegistry({
      modbus: async () => ({
        createDriver: (ctx) => createDriver(ctx, tuning),
      }),
    }),
  });
  await runtime.start();
  return {
    runtime,
    metrics,
    stop: async () => {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sum of a counter's values in a registry (all label sets, or those matching `labels`). */
export async function counterValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((n, v) => n + v.value, 0);
}

/** Cleanups run last-registered first, whatever failed before. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];
  add(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // keep cleaning up
      }
    }
  }
}
