import type { Clock, Timer } from '../../src/core/clock/index.js';
import { errorText } from '../../src/core/errors/index.js';
import type { DeviceInstance } from '../../src/model/index.js';
import type { DriverContext, DriverReading } from '../sdk/contract.js';
import type { GpioBackend, Level } from './backend.js';
import { edgeMatches } from './backend.js';
import { gpioErrors } from './errors.js';
import { pinOf, valueOfLevel, type Pin } from './pin.js';
import type { GpioDeviceConfig } from '../../src/model/index.js';

/**
 * One GPIO device: inputs report each (debounced) edge at once, and every property is read and
 * reported at its collect cycle as a heartbeat; outputs are written with read-back. A pin that
 * cannot be opened makes the device offline; opening is retried at each cycle.
 */
export class GpioDevice {
  readonly pins: Pin[];
  private readonly timers: Timer[] = [];
  private stopped = false;
  private problem: string | undefined = 'starting';
  private readonly chip: GpioDeviceConfig['chip'];

  constructor(
    readonly device: DeviceInstance,
    private readonly backend: GpioBackend,
    private readonly ctx: DriverContext,
    private readonly clock: Clock,
  ) {
    this.pins = device.properties.map(pinOf);
    this.chip = (device.protocolConfig as GpioDeviceConfig).chip;
  }

  async start(): Promise<void> {
    await this.openAll();
    const cycles = new Map<number, Pin[]>();
    for (const pin of this.pins) {
      const ms = Math.max(1, pin.property.collectCycleMs);
      cycles.set(ms, [...(cycles.get(ms) ?? []), pin]);
    }
    for (const [ms, pins] of cycles) this.timers.push(this.clock.setInterval(() => void this.heartbeat(pins), ms));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    for (const pin of this.pins) {
      if (pin.debounceTimer) this.clock.clearTimeout(pin.debounceTimer as Timer);
      pin.line?.unwatch();
      await pin.line?.close().catch(() => undefined);
      delete pin.line;
    }
  }

  /** Reads every pin of one cycle and reports them in one call. */
  async heartbeat(pins: Pin[]): Promise<void> {
    if (this.problem) await this.openAll();
    const readings: DriverReading[] = [];
    for (const pin of pins) readings.push(await this.read(pin));
    if (!this.stopped && readings.length > 0) this.ctx.readings(this.device.id, readings);
  }

  async write(pin: Pin, level: Level): Promise<DriverReading> {
    if (!pin.line)
      throw gpioErrors.create(
        'KEDGE_GPIO_IO',
        `device ${this.device.id} property ${pin.property.name}: GPIO ${pin.pin} is not open (${this.problem ?? 'closed'})`,
      );
    try {
      await pin.line.write(level);
    } catch (err) {
      throw gpioErrors.create(
        'KEDGE_GPIO_IO',
        `device ${this.device.id} property ${pin.property.name}: writing GPIO ${pin.pin} failed: ${errorText(err)}`,
        { cause: err },
      );
    }
    return this.read(pin);
  }

  private async read(pin: Pin): Promise<DriverReading> {
    const ts = this.clock.now();
    const property = pin.property.name;
    if (!pin.line)
      return {
        property,
        value: null,
        quality: 'bad',
        ts,
        reason: this.problem ?? `GPIO ${pin.pin} is not open`,
        code: 'KEDGE_GPIO_NOT_OPEN',
      };
    try {
      const level = await pin.line.read();
      pin.reported = level;
      return { property, value: valueOfLevel(pin.property, level), quality: 'good', ts };
    } catch (err) {
      const reason = `reading GPIO ${pin.pin} failed: ${errorText(err)}`;
      return { property, value: null, quality: 'bad', ts, reason, code: 'KEDGE_GPIO_READ' };
    }
  }

  private async openAll(): Promise<void> {
    const failures: string[] = [];
    for (const pin of this.pins) {
      if (pin.line || this.stopped) continue;
      try {
        pin.line = await this.backend.open(pin.pin, {
          direction: pin.direction,
          edge: pin.edge,
          activeLow: pin.activeLow,
          ...(this.chip === undefined ? {} : { chip: this.chip }),
        });
        pin.reported = await pin.line.read();
        if (pin.edge !== 'none') pin.line.watch((err, value) => this.edge(pin, err, value));
      } catch (err) {
        failures.push(`GPIO ${pin.pin} (${pin.property.name}): ${errorText(err)}`);
      }
    }
    const problem = failures.length > 0 ? `cannot open ${failures.join('; ')}` : undefined;
    if (problem === this.problem || this.stopped) return;
    this.problem = problem;
    this.ctx.state(this.device.id, problem ? 'offline' : 'online', problem);
  }

  private edge(pin: Pin, err: Error | null, value: Level): void {
    if (this.stopped) return;
    if (err) {
      this.ctx.logger.warn({ device: this.device.id, pin: pin.pin }, `GPIO interrupt error: ${err.message}`);
      return;
    }
    // The backend only calls back on the edges asked for, so without debounce every call is news.
    if (pin.debounceMs <= 0) return this.report(pin, value);
    // Software debounce: the level must hold for debounceMs after the last edge.
    if (pin.debounceTimer) this.clock.clearTimeout(pin.debounceTimer as Timer);
    pin.debounceTimer = this.clock.setTimeout(() => {
      delete pin.debounceTimer;
      void pin.line?.read().then(
        (settled) => this.settled(pin, settled),
        () => undefined,
      );
    }, pin.debounceMs);
  }

  /** After the debounce: a real edge if the level is the edge's target (or, for both, a change). */
  private settled(pin: Pin, value: Level): void {
    const real = pin.edge === 'both' ? value !== pin.reported : edgeMatches(pin.edge, (1 - value) as Level, value);
    if (real) this.report(pin, value);
    else pin.reported = value;
  }

  private report(pin: Pin, value: Level): void {
    if (this.stopped) return;
    pin.reported = value;
    this.ctx.readings(this.device.id, [
      { property: pin.property.name, value: valueOfLevel(pin.property, value), quality: 'good', ts: this.clock.now() },
    ]);
  }
}
