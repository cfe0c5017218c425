/**
 * The serial ProtocolDriver: devices on the same port share one SerialLine (port, framer, request
 * queue); each device reads its properties from that line's frames (stream) or from the answers
 * to its commands (request).
 */
import type { DeviceInstance, PropertyValue } from '../../src/model/index.js';
import type { DriverContext, DriverModule, DriverReading, ProtocolDriver } from '../sdk/contract.js';
import { mapperErrors } from '../sdk/contract.js';
import { SerialDevice } from './device.js';
import { serialErrors } from './errors.js';
import { createFramer } from './framers/index.js';
import type { BackoffOptions } from '../../src/core/async/index.js';
import { SerialLine } from './line.js';
import { serialMetrics, type SerialMetrics } from './metrics.js';
import { describeSettings, openSerialPort, portSettings, type PortOpener, type PortSettings } from './port.js';
import { compileReader } from './reader.js';
import type { SerialDeviceConfig } from '../../src/model/index.js';

export interface SerialDriverOptions {
  /** How ports are opened (default: the serialport package). */
  opener?: PortOpener;
  /** Request mode: how long to wait for an answer (default 1000 ms). */
  responseTimeoutMs?: number;
  /** Reopening a port: first delay, doubled per failure up to the cap (default 500 ms .. 10 s). */
  reopen?: BackoffOptions;
  /** Pause between requests on one port (default 0). */
  interRequestDelayMs?: number;
  /** Bad polls in a row before a request-mode device is unhealthy (default 3). */
  unhealthyAfter?: number;
}

interface LineEntry {
  line: SerialLine;
  /** Settings and framing every device on this port must share. */
  key: string;
  owner: string;
  users: number;
}

export class SerialDriver implements ProtocolDriver {
  readonly protocol = 'serial';
  private readonly lines = new Map<string, LineEntry>();
  private readonly devices = new Map<string, SerialDevice>();
  private metrics: SerialMetrics | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: SerialDriverOptions = {},
  ) {}

  async start(): Promise<void> {
    this.metrics = serialMetrics(this.ctx.metrics);
  }

  async stop(): Promise<void> {
    for (const d of this.devices.values()) d.stop();
    this.devices.clear();
    const lines = [...this.lines.values()];
    this.lines.clear();
    await Promise.all(lines.map((e) => e.line.close()));
    this.metrics = undefined;
  }

  /** Throws for a device whose config cannot work (bad pattern, port settings clash); an absent port goes offline. */
  async addDevice(device: DeviceInstance): Promise<void> {
    const metrics = this.metrics;
    if (!metrics)
      throw serialErrors.create('KEDGE_SERIAL_NOT_STARTED', `device ${device.id}: the serial driver is not started`);
    if (this.devices.has(device.id)) await this.removeDevice(device.id);
    const config = device.protocolConfig as SerialDeviceConfig;
    if (typeof config.serialPort !== 'string' || config.serialPort === '') {
      throw serialErrors.create(
        'KEDGE_SERIAL_INVALID_CONFIG',
        `device ${device.id}: protocol configData.serialPort is missing`,
      );
    }
    const readers = device.properties.map((p) => compileReader(device.id, p));
    const mode = config.mode ?? 'stream';
    const line = this.acquire(device.id, config);
    const runner = new SerialDevice(device, readers, line, this.ctx, this.ctx.clock, metrics, {
      mode,
      responseTimeoutMs: this.options.responseTimeoutMs ?? 1000,
      unhealthyAfter: this.options.unhealthyAfter ?? 3,
    });
    this.devices.set(device.id, runner);
    runner.start();
  }

  async removeDevice(deviceId: string): Promise<void> {
    const runner = this.devices.get(deviceId);
    if (!runner) return;
    this.devices.delete(deviceId);
    runner.stop();
    const entry = this.lines.get(runner.line.path);
    if (entry && --entry.users === 0) {
      this.lines.delete(runner.line.path);
      await entry.line.close();
    }
  }

  async write(deviceId: string, property: string, value: PropertyValue): Promise<DriverReading> {
    const runner = this.devices.get(deviceId);
    if (!runner)
      throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_DEVICE', `device ${deviceId} is not served by the serial driver`);
    const reader = runner.reader(property);
    if (!reader)
      throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_PROPERTY', `device ${deviceId} has no property ${property}`);
    return runner.write(reader, value);
  }

  /** Whether a port is open now (for tests and status). */
  isOpen(path: string): boolean {
    return this.lines.get(path)?.line.isOpen ?? false;
  }

  private acquire(deviceId: string, config: SerialDeviceConfig): SerialLine {
    const settings = portSettings(config);
    const key = `${describeSettings(settings)} framing ${JSON.stringify(config.framing ?? { type: 'lines' })}`;
    const existing = this.lines.get(settings.path);
    if (existing) {
      if (existing.key !== key) {
        throw serialErrors.create(
          'KEDGE_SERIAL_PORT_CONFLICT',
          `device ${deviceId}: port ${settings.path} is already used by ${existing.owner} with ${existing.key}, this device asks for ${key}`,
        );
      }
      existing.users++;
      return existing.line;
    }
    const line = this.newLine(settings, config);
    this.lines.set(settings.path, { line, key, owner: deviceId, users: 1 });
    line.open();
    return line;
  }

  private newLine(settings: PortSettings, config: SerialDeviceConfig): SerialLine {
    const metrics = this.metrics!;
    return new SerialLine({
      settings,
      framer: createFramer(config.framing),
      opener: this.options.opener ?? openSerialPort,
      clock: this.ctx.clock,
      logger: this.ctx.logger,
      backoff: this.options.reopen ?? { initialMs: 500, maxMs: 10_000 },
      interRequestDelayMs: this.options.interRequestDelayMs ?? 0,
      opened: (ok) => metrics.opens.inc({ port: settings.path, outcome: ok ? 'ok' : 'failed' }),
    });
  }
}

export function createDriver(ctx: DriverContext, options: SerialDriverOptions = {}): ProtocolDriver {
  return new SerialDriver(ctx, options);
}

export const driverModule: DriverModule = { createDriver };
