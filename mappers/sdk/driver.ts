import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../src/core/clock/index.js';
import type { DeviceInstance, PropertyValue, RawReading } from '../../src/model/index.js';

/**
 * The contract between the mapper SDK and a protocol driver. The SDK owns MQTT (device sets in,
 * readings/state/read-backs out, liveness); a driver owns its connections and its own timing
 * (Modbus polls on a per-line schedule, OPC UA subscribes, GPIO waits for interrupts).
 */
/**
 * What a driver read of one property: the model's RawReading (value decoded, scaled and typed per
 * the property's type, null when quality is bad; ts when the device was read; reason why a value
 * is bad or uncertain, e.g. "exception 2 (Illegal Data Address)").
 */
export type DriverReading = RawReading;

export type DeviceState = 'online' | 'offline' | 'unhealthy';

/** What the SDK gives a driver: where to send what it reads, and the process's services. */
export interface DriverContext {
  logger: Logger;
  clock: Clock;
  metrics: Registry;
  /** Folder for driver state (e.g. OPC UA certificates); exists. */
  dataDir: string;
  /** One call per device per poll with every property read in that poll. */
  readings(deviceId: string, readings: DriverReading[]): void;
  /** A device's connection state changed; `reason` says why (shown to users). */
  state(deviceId: string, state: DeviceState, reason?: string): void;
}

export interface ProtocolDriver {
  readonly protocol: string;
  start(): Promise<void>;
  /** Stops polling, closes every connection; no timer or socket left. */
  stop(): Promise<void>;
  /**
   * Starts serving a device (validated instance of this driver's protocol). Must not throw for an
   * unreachable device: report it with `state(id, 'offline', reason)` and keep retrying.
   */
  addDevice(device: DeviceInstance): Promise<void>;
  /** Stops serving a device; connections shared with other devices stay open. */
  removeDevice(deviceId: string): Promise<void>;
  /**
   * Writes `value` (already parsed to the property's type) to the device, reads it back and
   * returns the read-back reading. Rejects with a KedgeError that says why when it cannot.
   */
  write(deviceId: string, property: string, value: PropertyValue): Promise<DriverReading>;
  /**
   * Optional: several values of one device that arrived together (one twin delta), so the driver
   * may combine them into fewer requests. One settled result per write, in order, each as `write`
   * would have resolved or rejected for that property alone.
   */
  writeMany?(
    deviceId: string,
    writes: ReadonlyArray<{ property: string; value: PropertyValue }>,
  ): Promise<Array<PromiseSettledResult<DriverReading>>>;
}

/** How a protocol is registered: loaded lazily so a process never imports unused drivers. */
export interface DriverModule {
  createDriver(ctx: DriverContext): ProtocolDriver;
}
