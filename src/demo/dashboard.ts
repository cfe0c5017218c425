import type { DemoDevice } from './devices.js';
import type { TelemetryPayload } from '../contracts/index.js';

/** A property as the demo screen shows it: the latest reading, what went wrong lately, its twin. */
export interface PropertyState {
  name: string;
  unit?: string;
  value?: unknown;
  quality?: string;
  reason?: string;
  ts?: number;
  /** The latest reading that was not good, for a while after it (cleansing at work). */
  problem?: { value: unknown; quality: string; reason: string; at: number };
  /** The desired value while the device has not confirmed it, since when, and the value before. */
  pending?: { value: string; since: number; from?: string };
  /** The desired value the device confirmed last, the value before, and how long that took. */
  confirmed?: { value: string; at: number; from?: string; tookMs?: number };
  failed?: { value: string; reason: string; at: number };
  /** The desired value last seen (a new one is a write to follow). */
  desired?: string;
}

export interface DeviceState {
  id: string;
  protocol: string;
  state: string;
  reason?: string;
  /** When the first reading of this device arrived (undefined: waiting for it). */
  firstReading?: number;
  /** A twin of this device arrived before: a desired value new after it is a write. */
  twinSeen?: boolean;
  properties: Map<string, PropertyState>;
}

interface TwinMessage {
  id?: string;
  properties?: Record<
    string,
    {
      desired?: { value?: unknown; ts?: unknown };
      reported?: { value?: unknown; ts?: unknown };
      pending?: boolean;
      failed?: { reason?: unknown };
    }
  >;
}

/**
 * What the demo knows of its devices, from the three cloud topics a consumer reads:
 * `kedge/telemetry/...` (values, quality and why), `kedge/status/device/...` (online, offline, with
 * the reason), `kedge/twin/...` (desired values: pending until the device confirms them).
 */
export class Dashboard {
  readonly devices = new Map<string, DeviceState>();
  readings = 0;

  constructor(devices: readonly DemoDevice[]) {
    for (const d of devices) {
      const properties = new Map<string, PropertyState>();
      for (const p of d.properties) properties.set(p.name, { name: p.name, ...(p.unit ? { unit: p.unit } : {}) });
      this.devices.set(d.id, { id: d.id, protocol: d.protocol, state: 'unknown', properties });
    }
  }

  telemetry(msg: TelemetryPayload, now: number): void {
    const device = this.devices.get(`${msg.namespace}/${msg.device}`);
    if (!device) return;
    device.firstReading ??= now;
    for (const r of msg.readings) {
      this.readings++;
      const p = this.property(device, r.property);
      Object.assign(p, { value: r.value, quality: r.quality, ts: r.ts });
      if (r.unit) p.unit = r.unit;
      if (r.reason) p.reason = r.reason;
      else delete p.reason;
      if (r.quality !== 'good')
        p.problem = { value: r.value, quality: r.quality, reason: r.reason ?? r.quality, at: now };
    }
  }

  status(payload: unknown): void {
    const s = payload as { namespace?: unknown; device?: unknown; state?: unknown; reason?: unknown } | null;
    if (!s || typeof s.namespace !== 'string' || typeof s.device !== 'string' || typeof s.state !== 'string') return;
    const device = this.devices.get(`${s.namespace}/${s.device}`);
    if (!device) return;
    device.state = s.state;
    if (typeof s.reason === 'string') device.reason = s.reason;
    else delete device.reason;
  }

  twin(payload: unknown, now: number): void {
    const t = payload as TwinMessage | null;
    const device = typeof t?.id === 'string' ? this.devices.get(t.id) : undefined;
    if (!device || !t?.properties) return;
    for (const [name, tp] of Object.entries(t.properties)) {
      const p = this.property(device, name);
      const desired = typeof tp.desired?.value === 'string' ? tp.desired.value : undefined;
      if (desired === undefined) continue;
      // A desired value other than the last one, or the first one after the twin was known.
      const changed = p.desired !== desired && (p.desired !== undefined || device.twinSeen === true);
      const before = p.value === undefined || String(p.value) === desired ? undefined : String(p.value);
      if (tp.failed && typeof tp.failed.reason === 'string') {
        p.failed = { value: desired, reason: tp.failed.reason, at: now };
        delete p.pending;
      } else if (tp.pending) {
        if (p.pending?.value !== desired)
          p.pending = { value: desired, since: now, ...(before ? { from: before } : {}) };
        delete p.failed;
      } else if (p.pending?.value === desired || changed) {
        // Confirmed: the device's read-back says the desired value (the write may be done before
        // the screen saw it pending; the twin's timestamps say how long it took).
        const took = now - num(tp.desired?.ts);
        const from = p.pending?.from ?? before;
        p.confirmed = {
          value: desired,
          at: now,
          ...(from ? { from } : {}),
          tookMs: Number.isFinite(took) && took >= 0 && took < 60_000 ? took : now - (p.pending?.since ?? now),
        };
        delete p.pending;
        delete p.failed;
      }
      p.desired = desired;
    }
    device.twinSeen = true;
  }

  private property(device: DeviceState, name: string): PropertyState {
    let p = device.properties.get(name);
    if (!p) device.properties.set(name, (p = { name }));
    return p;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}
