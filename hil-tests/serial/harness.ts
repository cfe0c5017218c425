/**
 * Serial hil-test set-up: the serial driver in this process on a recording context, and the
 * target it talks to: a socat pty pair with the simulator on the other end, or, when
 * KEDGE_HIL_SERIAL_PATH (and KEDGE_HIL_SERIAL_MODEL) are set, a real port and device.
 */
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { createMetricsRegistry, type Registry } from '../../src/core/metrics/index.js';
import { validateFiles, type DeviceInstance } from '../../src/model/index.js';
import type { DeviceState, DriverContext, DriverReading, ProtocolDriver } from '../../mappers/sdk/driver.js';
import { createDriver, type SerialDriverOptions } from '../../mappers/serial/index.js';

export interface Recorder extends DriverContext {
  metrics: Registry;
  calls: Array<{ device: string; readings: DriverReading[]; at: number }>;
  states: Array<{ device: string; state: DeviceState; reason?: string | undefined }>;
}

export function recorder(): Recorder {
  const calls: Recorder['calls'] = [];
  const states: Recorder['states'] = [];
  return {
    logger: silentLogger(),
    clock: systemClock,
    metrics: createMetricsRegistry(),
    dataDir: '/nonexistent',
    calls,
    states,
    readings: (device, readings) => calls.push({ device, readings, at: Date.now() }),
    state: (device, state, reason) => states.push({ device, state, reason }),
  };
}

export async function startDriver(ctx: Recorder, options: SerialDriverOptions = {}): Promise<ProtocolDriver> {
  const driver = createDriver(ctx, { reopen: { initialMs: 100, maxMs: 400 }, ...options });
  await driver.start();
  return driver;
}

/** Polls `check` until it returns true; throws `what` after `timeoutMs` (a deadline, not a timing assert). */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((n, v) => n + v.value, 0);
}

/** The serial Devices of a model file, pointed at `path`, polled every `cycleMs` for the test. */
export async function serialDevices(file: string, path: string, cycleMs?: number): Promise<DeviceInstance[]> {
  const result = await validateFiles([file]);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  return result.instances
    .filter((d) => d.protocol === 'serial')
    .map((d) => ({
      ...d,
      protocolConfig: { ...d.protocolConfig, serialPort: path },
      properties: d.properties.map((p) => (cycleMs === undefined ? p : { ...p, collectCycleMs: cycleMs })),
    }));
}

/** Real hardware when both variables are set; undefined means: use the pty pair and the simulator. */
export function hardwareTarget(): { path: string; model: string } | undefined {
  const path = process.env['KEDGE_HIL_SERIAL_PATH'];
  const model = process.env['KEDGE_HIL_SERIAL_MODEL'];
  if (!path) return undefined;
  if (!model)
    throw new Error(
      'KEDGE_HIL_SERIAL_PATH is set but KEDGE_HIL_SERIAL_MODEL is not: name the Device/DeviceModel YAML of the device on that port',
    );
  return { path, model };
}
