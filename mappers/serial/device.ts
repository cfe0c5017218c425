import type { Clock, Timer } from '../../src/core/clock/index.js';
import type { DeviceInstance, PropertyValue } from '../../src/model/index.js';
import type { DriverContext, DriverReading } from '../sdk/contract.js';
import { visible } from './escapes.js';
import { serialErrors } from './errors.js';
import type { Frame, FrameReject } from './framers/index.js';
import { sample } from './framers/framer.js';
import type { LineSubscriber, RequestOutcome, SerialLine } from './line.js';
import type { SerialMetrics } from './metrics.js';
import type { PropertyReader } from './reader.js';

export interface DeviceOptions {
  mode: 'stream' | 'request';
  responseTimeoutMs: number;
  /** Consecutive unanswered polls after which the device is reported unhealthy. */
  unhealthyAfter: number;
}

interface CycleGroup {
  ms: number;
  readers: PropertyReader[];
  timer?: Timer;
  busy: boolean;
}

/**
 * One device on a serial line. Stream mode: every frame is offered to every property, one
 * readings call per frame with the properties it carried. Request mode: per collect cycle, each
 * distinct command is sent once and its answer feeds every property sharing that command.
 */
export class SerialDevice implements LineSubscriber {
  private unsubscribe: (() => void) | undefined;
  private readonly groups: CycleGroup[];
  private misses = 0;
  private stopped = false;

  constructor(
    readonly device: DeviceInstance,
    private readonly readers: PropertyReader[],
    readonly line: SerialLine,
    private readonly ctx: DriverContext,
    private readonly clock: Clock,
    private readonly metrics: SerialMetrics,
    private readonly o: DeviceOptions,
  ) {
    this.groups = groupByCycle(device, readers);
  }

  start(): void {
    this.unsubscribe = this.line.subscribe(this);
    if (this.line.isOpen) this.ctx.state(this.device.id, 'online');
    else if (this.line.closedReason) this.ctx.state(this.device.id, 'offline', this.line.closedReason);
    if (this.o.mode !== 'request') return;
    for (const g of this.groups) g.timer = this.clock.setInterval(() => void this.poll(g), g.ms);
  }

  reader(property: string): PropertyReader | undefined {
    return this.readers.find((r) => r.property === property);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const g of this.groups) if (g.timer) this.clock.clearInterval(g.timer);
  }

  frame(frame: Frame): void {
    if (this.o.mode !== 'stream' || this.stopped) return;
    const readings = this.extract(this.readers, frame, false);
    if (readings.length === 0) return;
    this.metrics.frames.inc({ device: this.device.id });
    this.ctx.readings(this.device.id, readings);
  }

  reject(reject: FrameReject): void {
    this.metrics.badFrames.inc({ device: this.device.id, reason: reject.reason });
    this.ctx.logger.debug({ device: this.device.id, reason: reject.reason }, reject.detail);
  }

  state(open: boolean, reason?: string): void {
    if (this.stopped) return;
    this.misses = 0;
    this.ctx.state(this.device.id, open ? 'online' : 'offline', reason);
  }

  /**
   * Writes `value` to `reader`'s property: its writeCommand, then the writeAck frame if one is
   * configured, then a read-back, in turn with the polls on the line: request mode sends the
   * property's command, stream mode takes the next frame carrying the property. A line protocol
   * has no other way to say what the device now holds.
   */
  async write(reader: PropertyReader, value: PropertyValue): Promise<DriverReading> {
    const w = reader.writer;
    const where = `device ${this.device.id} property ${reader.property}`;
    if (!w)
      throw serialErrors.create('KEDGE_SERIAL_NOT_WRITABLE', `${where}: no writeCommand in its visitor configData`);
    const bytes = w.bytes(value);
    const ack = w.ack;
    const sent = ack
      ? await this.line.request(bytes, (f) => ack.test(f.text), this.o.responseTimeoutMs)
      : await this.line.send(bytes);
    if (!sent.ok)
      throw serialErrors.create('KEDGE_SERIAL_WRITE_FAILED', `${where}: writing ${visible(bytes)}: ${sent.reason}`);
    const command = this.o.mode === 'request' ? reader.command : undefined;
    const back = await this.line.request(command, (f) => reader.matches(f), this.o.responseTimeoutMs);
    if (!back.ok)
      throw serialErrors.create(
        'KEDGE_SERIAL_WRITE_FAILED',
        `${where}: ${visible(bytes)} written, but no read-back: ${back.reason}`,
      );
    return this.extract([reader], back.frame, true)[0]!;
  }

  /** One collect cycle of a request-mode group; skipped while the previous one still runs. */
  async poll(group: CycleGroup): Promise<void> {
    if (group.busy || !this.line.isOpen || this.stopped) return;
    group.busy = true;
    try {
      const readings: DriverReading[] = [];
      for (const [command, readers] of byCommand(group.readers)) {
        const outcome = await this.line.request(
          command,
          (f) => readers.some((r) => r.matches(f)),
          this.o.responseTimeoutMs,
        );
        readings.push(...this.answer(readers, outcome));
      }
      if (!this.stopped && readings.length > 0) this.ctx.readings(this.device.id, readings);
    } finally {
      group.busy = false;
    }
  }

  private answer(readers: PropertyReader[], outcome: RequestOutcome): DriverReading[] {
    const id = this.device.id;
    if (outcome.skipped > 0) this.metrics.badFrames.inc({ device: id, reason: 'unmatched' }, outcome.skipped);
    const ts = this.clock.now();
    if (!outcome.ok) {
      const timeout = /no response/.test(outcome.reason);
      this.metrics.requests.inc({ device: id, outcome: timeout ? 'timeout' : 'closed' });
      this.missed(outcome.reason);
      const code = timeout ? 'KEDGE_SERIAL_TIMEOUT' : 'KEDGE_SERIAL_CLOSED';
      return readers.map((r) => ({
        property: r.property,
        value: null,
        quality: 'bad',
        ts,
        reason: outcome.reason,
        code,
      }));
    }
    this.metrics.requests.inc({ device: id, outcome: 'ok' });
    if (this.misses >= this.o.unhealthyAfter) this.ctx.state(id, 'online');
    this.misses = 0;
    this.metrics.frames.inc({ device: id });
    return this.extract(readers, outcome.frame, true);
  }

  private missed(reason: string): void {
    this.misses++;
    if (this.misses === this.o.unhealthyAfter && this.line.isOpen) {
      this.ctx.state(this.device.id, 'unhealthy', `${this.misses} polls in a row failed: ${reason}`);
    }
  }

  /** `all`: a property its frame did not carry is bad (a request answer must carry them all). */
  private extract(readers: PropertyReader[], frame: Frame, all: boolean): DriverReading[] {
    const ts = this.clock.now();
    const out: DriverReading[] = [];
    for (const r of readers) {
      const e = r.extract(frame);
      if (!e.carried) {
        if (all)
          out.push({
            property: r.property,
            value: null,
            quality: 'bad',
            ts,
            reason: `answer ${sample(frame.text)} does not match the property's pattern`,
            code: 'KEDGE_SERIAL_NO_MATCH',
          });
        continue;
      }
      if (e.value === null) {
        this.metrics.badValues.inc({ device: this.device.id, property: r.property });
        out.push({
          property: r.property,
          value: null,
          quality: 'bad',
          ts,
          reason: e.reason,
          code: 'KEDGE_SERIAL_BAD_VALUE',
        });
      } else out.push({ property: r.property, value: e.value, quality: 'good', ts });
    }
    return out;
  }
}

function groupByCycle(device: DeviceInstance, readers: PropertyReader[]): CycleGroup[] {
  const groups = new Map<number, CycleGroup>();
  device.properties.forEach((p, i) => {
    const ms = Math.max(1, p.collectCycleMs);
    const g = groups.get(ms) ?? { ms, readers: [], busy: false };
    g.readers.push(readers[i]!);
    groups.set(ms, g);
  });
  return [...groups.values()];
}

/** Properties sharing a command (one SEND answers temperature and humidity) send it once. */
function byCommand(readers: PropertyReader[]): Map<string, PropertyReader[]> {
  const out = new Map<string, PropertyReader[]>();
  for (const r of readers) {
    if (r.command === undefined) continue;
    out.set(r.command, [...(out.get(r.command) ?? []), r]);
  }
  return out;
}
