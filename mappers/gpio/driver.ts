/**
 * The GPIO ProtocolDriver. The backend is chosen by the `backend` option, else by
 * KEDGE_GPIO_BACKEND (`sysfs`, the default, or `sim`; with `sim`, KEDGE_GPIO_SIM names the socket
 * of a running `kedge sim gpio`, otherwise the simulated pins live in this process).
 */
import type { DeviceInstance, PropertyValue } from '../../src/model/index.js';
import type { DriverContext, DriverModule, DriverReading, ProtocolDriver } from '../sdk/contract.js';
import { mapperErrors } from '../sdk/contract.js';
import type { GpioBackend } from './backend.js';
import { GpioDevice } from './device.js';
import { gpioErrors } from './errors.js';
import { SimGpioBackend } from './level-backend.js';
import { levelOf } from './pin.js';
import { connectSimBackend } from './sim/remote.js';
import { createSysfsBackend } from './sysfs-backend.js';

export const NOT_ACCESSIBLE_REASON = 'GPIO not accessible on this machine (no /sys/class/gpio)';

export interface GpioDriverOptions {
  /** A backend instance, or which one to create (default: KEDGE_GPIO_BACKEND, else sysfs). */
  backend?: GpioBackend | 'sysfs' | 'sim';
  /** Socket of `kedge sim gpio` for the sim backend (default: KEDGE_GPIO_SIM). */
  simSocket?: string;
  env?: NodeJS.ProcessEnv;
}

export class GpioDriver implements ProtocolDriver {
  readonly protocol = 'gpio';
  private readonly devices = new Map<string, GpioDevice>();
  private backend: GpioBackend | undefined;
  private ownsBackend = false;
  private warned = false;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: GpioDriverOptions = {},
  ) {}

  async start(): Promise<void> {
    const chosen = this.options.backend;
    if (chosen !== undefined && typeof chosen !== 'string') {
      this.backend = chosen;
      return;
    }
    this.backend = await this.createBackend(chosen);
    this.ownsBackend = true;
  }

  async stop(): Promise<void> {
    for (const d of this.devices.values()) await d.stop();
    this.devices.clear();
    if (this.ownsBackend) await this.backend?.dispose();
    this.backend = undefined;
  }

  async addDevice(device: DeviceInstance): Promise<void> {
    const backend = this.backend;
    if (!backend)
      throw gpioErrors.create('KEDGE_GPIO_NOT_STARTED', `device ${device.id}: the GPIO driver is not started`);
    if (this.devices.has(device.id)) await this.removeDevice(device.id);
    if (!backend.accessible) {
      if (!this.warned)
        this.ctx.logger.error(
          `${NOT_ACCESSIBLE_REASON}: GPIO devices stay offline; set KEDGE_GPIO_BACKEND=sim to use the simulator`,
        );
      this.warned = true;
      this.ctx.state(device.id, 'offline', NOT_ACCESSIBLE_REASON);
      return;
    }
    const runner = new GpioDevice(device, backend, this.ctx, this.ctx.clock);
    this.devices.set(device.id, runner);
    await runner.start();
  }

  async removeDevice(deviceId: string): Promise<void> {
    const runner = this.devices.get(deviceId);
    this.devices.delete(deviceId);
    await runner?.stop();
  }

  async write(deviceId: string, property: string, value: PropertyValue): Promise<DriverReading> {
    if (this.backend && !this.backend.accessible)
      throw gpioErrors.create('KEDGE_GPIO_NOT_ACCESSIBLE', `device ${deviceId}: ${NOT_ACCESSIBLE_REASON}`);
    const runner = this.devices.get(deviceId);
    if (!runner)
      throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_DEVICE', `device ${deviceId} is not served by the GPIO driver`);
    const pin = runner.pins.find((p) => p.property.name === property);
    if (!pin)
      throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_PROPERTY', `device ${deviceId} has no property ${property}`);
    if (pin.direction !== 'out') {
      throw gpioErrors.create(
        'KEDGE_GPIO_NOT_WRITABLE',
        `device ${deviceId} property ${property}: GPIO ${pin.pin} is an input (direction in)`,
      );
    }
    const level = levelOf(value);
    if (level === undefined)
      throw mapperErrors.create(
        'KEDGE_MAPPER_BAD_VALUE',
        `device ${deviceId} property ${property}: ${JSON.stringify(value)} is not a pin level (true/false, 1/0)`,
      );
    return runner.write(pin, level);
  }

  private async createBackend(chosen: 'sysfs' | 'sim' | undefined): Promise<GpioBackend> {
    const env = this.options.env ?? process.env;
    const name = chosen ?? env['KEDGE_GPIO_BACKEND'] ?? 'sysfs';
    // `onoff` named the same sysfs interface before kedge drove it without the onoff package.
    if (name === 'sysfs' || name === 'onoff') return createSysfsBackend();
    if (name !== 'sim')
      throw gpioErrors.create(
        'KEDGE_GPIO_BAD_BACKEND',
        `KEDGE_GPIO_BACKEND=${name} is not a GPIO backend (expected sysfs or sim)`,
      );
    const socket = this.options.simSocket ?? env['KEDGE_GPIO_SIM'];
    if (!socket)
      this.ctx.logger.warn('GPIO sim backend without KEDGE_GPIO_SIM: the simulated pins live in this process only');
    return socket ? connectSimBackend(socket) : new SimGpioBackend();
  }
}

export function createDriver(ctx: DriverContext, options: GpioDriverOptions = {}): ProtocolDriver {
  return new GpioDriver(ctx, options);
}

export const driverModule: DriverModule = { createDriver };
