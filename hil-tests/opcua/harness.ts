import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import type { DeviceInstance, PropertyInstance } from '../../src/model/index.js';
import type { DeviceState, DriverContext, DriverReading } from '../../mappers/sdk/driver.js';

export interface Recorder {
  ctx: DriverContext;
  batches: { deviceId: string; readings: DriverReading[] }[];
  states: { deviceId: string; state: DeviceState; reason?: string }[];
  /** Readings of one device's property, oldest first. */
  readingsOf(deviceId: string, property: string): DriverReading[];
  /** Resolves when `check` holds (checked after every event and every 20 ms); rejects after `ms`. */
  waitFor(what: string, check: () => boolean, ms?: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** A DriverContext that records what the driver reports, with a temporary data dir. */
export async function recorder(): Promise<Recorder> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kedge-opcua-hil-'));
  const batches: Recorder['batches'] = [];
  const states: Recorder['states'] = [];
  const ctx: DriverContext = {
    logger: silentLogger(),
    clock: systemClock,
    metrics: createMetricsRegistry(),
    dataDir,
    readings: (deviceId, readings) => batches.push({ deviceId, readings }),
    state: (deviceId, state, reason) =>
      states.push(reason === undefined ? { deviceId, state } : { deviceId, state, reason }),
  };
  return {
    ctx,
    batches,
    states,
    readingsOf: (deviceId, property) =>
      batches.filter((b) => b.deviceId === deviceId).flatMap((b) => b.readings.filter((r) => r.property === property)),
    waitFor: (what, check, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          if (check()) {
            clearInterval(timer);
            resolve();
          } else if (Date.now() - started > ms) {
            clearInterval(timer);
            reject(new Error(`timed out waiting for ${what}; states: ${JSON.stringify(states.slice(-5))}`));
          }
        }, 20);
      }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export function property(
  name: string,
  type: PropertyInstance['type'],
  nodeID: string,
  extra: Partial<PropertyInstance> = {},
): PropertyInstance {
  return {
    name,
    type,
    accessMode: 'ReadOnly',
    visitor: { nodeID },
    collectCycleMs: 100,
    reportCycleMs: 1000,
    reportToCloud: true,
    ...extra,
  };
}

export function opcuaDevice(
  name: string,
  config: Record<string, unknown>,
  properties: PropertyInstance[],
): DeviceInstance {
  return {
    id: `default/${name}`,
    namespace: 'default',
    name,
    model: `${name}-model`,
    protocol: 'opcua',
    protocolConfig: config,
    properties,
  };
}
