import type { DeviceInstance, PropertyValue } from '../../src/model/index.js';
import type { DriverContext, DriverReading, ProtocolDriver } from '../sdk/contract.js';
import type { BackoffOptions } from '../../src/core/async/index.js';
import { OpcuaConnection } from './connection.js';
import { DeviceBinding } from './device-binding.js';
import { opcuaErrors } from './errors.js';
import { type OpcuaMetrics, opcuaMetrics } from './metrics.js';
import { openClientPki, preparePkiFolders } from './pki.js';
import { nodeBindingsOf, sessionKey, settingsOf } from './settings.js';

export interface OpcuaDriverOptions {
  /** Trust an unknown server certificate on first use (default true; a device's configData overrides it); see pki.ts. */
  acceptUnknownServerCertificates?: boolean;
  /** Reconnect back-off (default 500 ms doubling up to 30 s). */
  backoff?: BackoffOptions;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** The OPC UA ProtocolDriver: one shared session per server and identity, devices on top. */
export class OpcuaDriver implements ProtocolDriver {
  readonly protocol = 'opcua';
  private readonly connections = new Map<string, OpcuaConnection>();
  private readonly devices = new Map<string, { binding: DeviceBinding; key: string }>();
  private started = false;
  private metrics: OpcuaMetrics | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: OpcuaDriverOptions = {},
  ) {}

  async start(): Promise<void> {
    this.metrics = opcuaMetrics(this.ctx.metrics);
    await preparePkiFolders(this.ctx.dataDir);
    this.started = true;
  }

  async stop(): Promise<void> {
    for (const id of [...this.devices.keys()]) await this.removeDevice(id);
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
    this.started = false;
  }

  async addDevice(device: DeviceInstance): Promise<void> {
    if (!this.started || !this.metrics)
      throw opcuaErrors.create('KEDGE_OPCUA_NOT_CONNECTED', `device ${device.id}: the OPC UA driver is not started`);
    if (this.devices.has(device.id)) await this.removeDevice(device.id);
    const settings = settingsOf(device);
    const nodes = nodeBindingsOf(device);
    const key = sessionKey(settings);
    let connection = this.connections.get(key);
    if (!connection) {
      const metrics = this.metrics;
      connection = new OpcuaConnection(settings, {
        openPki: () =>
          openClientPki(
            this.ctx.dataDir,
            settings.acceptUnknownServerCertificates ?? this.options.acceptUnknownServerCertificates ?? true,
          ),
        clock: this.ctx.clock,
        logger: this.ctx.logger,
        backoff: this.options.backoff ?? DEFAULT_BACKOFF,
        onReconnect: () => metrics.reconnects.inc(),
      });
      this.connections.set(key, connection);
      metrics.sessions.set(this.connections.size);
    } else if (connection.settings.timeoutMs !== settings.timeoutMs) {
      this.ctx.logger.warn(
        { device: device.id, server: connection.label },
        "device shares a session opened with another timeout; the first device's applies",
      );
    }
    const binding = new DeviceBinding(device, nodes, connection, this.ctx, this.metrics, settings.subscribe);
    this.devices.set(device.id, { binding, key });
    await connection.attach(device.id, binding);
  }

  async removeDevice(deviceId: string): Promise<void> {
    const entry = this.devices.get(deviceId);
    if (!entry) return;
    this.devices.delete(deviceId);
    await entry.binding.stop();
    const connection = this.connections.get(entry.key);
    if (!connection) return;
    await connection.detach(deviceId);
    if (connection.deviceCount === 0) {
      this.connections.delete(entry.key);
      this.metrics?.sessions.set(this.connections.size);
    }
  }

  async write(deviceId: string, property: string, value: PropertyValue): Promise<DriverReading> {
    const entry = this.devices.get(deviceId);
    if (!entry)
      throw opcuaErrors.create('KEDGE_OPCUA_UNKNOWN_DEVICE', `device ${deviceId} is not served by the OPC UA driver`);
    return entry.binding.write(property, value);
  }

  /** Why a device polls instead of subscribing (undefined when it subscribes or is unknown). */
  pollingReason(deviceId: string): string | undefined {
    return this.devices.get(deviceId)?.binding.pollingReason;
  }

  /** Sessions the driver holds (one per server and identity). */
  get sessionCount(): number {
    return this.connections.size;
  }
}
