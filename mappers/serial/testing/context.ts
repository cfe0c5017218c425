import { ManualClock } from '../../../src/core/clock/index.js';
import { silentLogger } from '../../../src/core/log/index.js';
import { createMetricsRegistry, type Registry } from '../../../src/core/metrics/index.js';
import type { DeviceInstance, PropertyInstance } from '../../../src/model/index.js';
import type { DeviceState, DriverContext, DriverReading } from '../../sdk/driver.js';

/** A DriverContext that records what a driver reports, on a manual clock. */
export interface RecordingContext extends DriverContext {
  clock: ManualClock;
  metrics: Registry;
  calls: Array<{ device: string; readings: DriverReading[] }>;
  states: Array<{ device: string; state: DeviceState; reason?: string }>;
}

export function recordingContext(): RecordingContext {
  const calls: RecordingContext['calls'] = [];
  const states: RecordingContext['states'] = [];
  return {
    logger: silentLogger(),
    clock: new ManualClock(1_000_000),
    metrics: createMetricsRegistry(),
    dataDir: '/nonexistent',
    calls,
    states,
    readings: (device, readings) => calls.push({ device, readings }),
    state: (device, state, reason) => states.push(reason === undefined ? { device, state } : { device, state, reason }),
  };
}

export function property(
  name: string,
  type: PropertyInstance['type'],
  visitor: Record<string, unknown>,
  collectCycleMs = 1000,
): PropertyInstance {
  return {
    name,
    type,
    accessMode: 'ReadOnly',
    visitor,
    collectCycleMs,
    reportCycleMs: collectCycleMs,
    reportToCloud: true,
  };
}

export function device(
  name: string,
  protocol: string,
  protocolConfig: Record<string, unknown>,
  properties: PropertyInstance[],
): DeviceInstance {
  return {
    id: `default/${name}`,
    namespace: 'default',
    name,
    model: `${name}-model`,
    protocol,
    protocolConfig,
    properties,
  };
}

/** Sum of a counter over the label sets matching `labels`. */
export async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((n, v) => n + v.value, 0);
}
