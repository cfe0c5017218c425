import type { Logger } from 'pino';
import type { MapperDeviceSet } from '../../src/contracts/index.js';
import { errorText } from '../../src/core/errors/index.js';
import type { DeviceInstance } from '../../src/model/index.js';
import type { DriverLoader } from './driver-registry.js';
import { deviceProblem } from './device-check.js';
import type { DriverContext, ProtocolDriver } from './driver.js';
import { planReconcile } from './reconcile.js';

export interface HostEvents {
  offline(deviceId: string, reason: string): void;
  /** A device stopped being hosted here (removed from the set, or now invalid). */
  removed(deviceId: string): void;
}

/**
 * One protocol inside a mapper: loads its driver on the first device, applies device sets in
 * version order (only the newest waiting set is applied: intermediate ones are already stale), and
 * moves the driver to the desired devices touching only what changed.
 */
export class ProtocolHost {
  private driver: ProtocolDriver | undefined;
  private readonly applied = new Map<string, string>();
  private readonly devices = new Map<string, DeviceInstance>();
  private readonly invalid = new Map<string, string>();
  private appliedVersion = -Infinity;
  private waiting: MapperDeviceSet | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The last set offered from outside (what a suspended host comes back to). */
  private lastSet: MapperDeviceSet | undefined;

  constructor(
    readonly protocol: string,
    private readonly load: DriverLoader,
    private readonly context: () => Promise<DriverContext>,
    private readonly events: HostEvents,
    private readonly logger: Logger,
  ) {}

  /** The running device, for desired-value writes; undefined when not hosted here. */
  device(id: string): { device: DeviceInstance; driver: ProtocolDriver } | undefined {
    const device = this.devices.get(id);
    return device && this.driver ? { device, driver: this.driver } : undefined;
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  get version(): number {
    return this.appliedVersion;
  }

  /** Queues a set; resolves once it (or a newer one) is applied. Never rejects. */
  offer(set: MapperDeviceSet, suspending = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!suspending) this.lastSet = set;
    if (set.version < this.appliedVersion || (this.waiting && set.version < this.waiting.version)) {
      this.logger.info(
        { protocol: this.protocol, version: set.version, applied: this.appliedVersion },
        'ignoring an older device set',
      );
      return this.running ?? Promise.resolve();
    }
    this.waiting = set;
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Takes every device off the driver (polling stops) and keeps the set's version: the same set
   * offered again (the retained set after a reconnect) brings them all back.
   */
  suspend(): Promise<void> {
    if (this.stopped || !this.lastSet) return Promise.resolve();
    return this.offer({ ...this.lastSet, devices: [] }, true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting = undefined;
    await this.running;
    const driver = this.driver;
    this.driver = undefined;
    for (const id of this.devices.keys()) this.events.removed(id);
    this.devices.clear();
    this.applied.clear();
    if (driver)
      await driver
        .stop()
        .catch((err: unknown) => this.logger.error({ err: errorText(err) }, `${this.protocol} driver failed to stop`));
  }

  private async drain(): Promise<void> {
    while (this.waiting && !this.stopped) {
      const set = this.waiting;
      this.waiting = undefined;
      try {
        await this.apply(set);
      } catch (err) {
        // apply() handles per-device failures; this is a bug guard so the host keeps working.
        this.logger.error({ err: errorText(err), protocol: this.protocol }, 'applying the device set failed');
      }
    }
  }

  private async apply(set: MapperDeviceSet): Promise<void> {
    const valid = this.sortOut(set.devices);
    const plan = planReconcile(this.applied, valid);
    this.appliedVersion = set.version;
    const busy = plan.add.length + plan.change.length + plan.remove.length > 0;
    if (!busy) return;
    this.logger.info(
      {
        protocol: this.protocol,
        version: set.version,
        add: plan.add.length,
        change: plan.change.length,
        remove: plan.remove.length,
      },
      'applying device set',
    );
    for (const id of plan.remove) await this.removeDevice(id);
    for (const device of plan.change) await this.removeDevice(device.id);
    const toAdd = [...plan.change, ...plan.add];
    if (toAdd.length === 0) return;
    const driver = await this.ensureDriver(toAdd);
    if (!driver) return;
    for (const device of toAdd) await this.addDevice(driver, device, plan.hashes.get(device.id) ?? '');
  }

  /** Valid devices go on; invalid ones are reported offline once per reason and not run. */
  private sortOut(devices: readonly DeviceInstance[]): DeviceInstance[] {
    const valid: DeviceInstance[] = [];
    const seenInvalid = new Set<string>();
    for (const device of devices) {
      const problem = deviceProblem(device, this.protocol);
      if (problem === undefined) {
        this.invalid.delete(device.id);
        valid.push(device);
        continue;
      }
      seenInvalid.add(device.id);
      const reason = `invalid device ${device.id}: ${problem}`;
      if (this.invalid.get(device.id) !== reason) {
        this.invalid.set(device.id, reason);
        this.logger.warn({ device: device.id }, reason);
        this.events.offline(device.id, reason);
      }
    }
    for (const id of this.invalid.keys())
      if (!seenInvalid.has(id) && !valid.some((d) => d.id === id)) this.invalid.delete(id);
    return valid;
  }

  private async ensureDriver(waitingDevices: readonly DeviceInstance[]): Promise<ProtocolDriver | undefined> {
    if (this.driver) return this.driver;
    try {
      const module = await this.load();
      const driver = module.createDriver(await this.context());
      await driver.start();
      if (this.stopped) {
        await driver.stop();
        return undefined;
      }
      this.driver = driver;
      this.logger.info({ protocol: this.protocol }, 'driver loaded');
      return driver;
    } catch (err) {
      const reason = `the ${this.protocol} driver cannot start: ${errorText(err)}`;
      this.logger.error({ protocol: this.protocol }, reason);
      for (const device of waitingDevices) this.events.offline(device.id, reason);
      return undefined; // not applied: the next device set tries again
    }
  }

  private async addDevice(driver: ProtocolDriver, device: DeviceInstance, hash: string): Promise<void> {
    // Hosted before the driver starts it: a driver may report a state (e.g. "GPIO not accessible")
    // or a first reading from inside addDevice, and those must not be dropped as "not hosted".
    this.devices.set(device.id, device);
    try {
      await driver.addDevice(device);
      this.applied.set(device.id, hash);
    } catch (err) {
      this.devices.delete(device.id);
      const reason = `cannot serve ${device.id}: ${errorText(err)}`;
      this.logger.warn({ device: device.id }, reason);
      this.events.offline(device.id, reason);
    }
  }

  private async removeDevice(id: string): Promise<void> {
    this.applied.delete(id);
    this.devices.delete(id);
    this.events.removed(id);
    try {
      await this.driver?.removeDevice(id);
    } catch (err) {
      this.logger.warn({ device: id, err: errorText(err) }, 'driver failed to remove a device');
    }
  }
}
