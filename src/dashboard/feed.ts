import type { TwinView } from '../contracts/index.js';
import type { Clock, Timer } from '../core/clock/index.js';
import type { Quality } from '../model/index.js';

/** One cleansed reading as the dashboard shows it. */
export interface LiveReading {
  property: string;
  value: number | boolean | string | null;
  unit?: string | undefined;
  quality: Quality;
  reason?: string | undefined;
  ts: number;
}

/** Where the live data comes from (the cloud's bus or the edge's); told to the feed through the sink. */
export interface FeedSink {
  /** One reading (the hot path while a browser watches: no object per reading). */
  reading(
    device: string,
    property: string,
    value: LiveReading['value'],
    quality: Quality,
    ts: number,
    unit?: string,
    reason?: string,
  ): void;
  readings(device: string, readings: readonly LiveReading[]): void;
  twin(view: TwinView): void;
  state(device: string, state: string, reason: string | undefined, ts: number): void;
  /** Nodes or their mappers changed: browsers fetch /api/v1/nodes again. */
  nodes(): void;
  /** Devices were added or removed: browsers fetch /api/v1/devices again. */
  devices(): void;
}

export interface FeedSource {
  /** Starts delivering to `sink` (the current twins first); resolves to the function that stops it. */
  start(sink: FeedSink): Promise<() => void>;
}

/** A browser's event stream (SSE). */
export interface FeedClient {
  /** Writes text; false when the client cannot keep up (it is then dropped). */
  write(text: string): boolean;
  end(): void;
}

export interface LiveFeedOptions {
  source: FeedSource;
  clock: Clock;
  /** Updates go out at most this often, coalesced per property (default 1000 ms). */
  tickMs?: number;
  /** Points kept per numeric property for the sparklines (default 300: 5 minutes at 1/s). */
  historyPoints?: number;
  /** The source keeps running this long after the last browser left (default 10 min), so a reload keeps the history. */
  graceMs?: number;
}

interface PropLive extends Omit<LiveReading, 'property'> {
  /** Sparkline points, at most one per tick: times (ms) and values. */
  t: number[];
  v: number[];
  /** The unit changed since the last update (updates carry it only then). */
  unitChanged?: boolean;
}

interface DeviceLive {
  state?: { state: string; reason?: string | undefined; ts: number };
  props: Map<string, PropLive>;
  twin?: TwinView['properties'];
}

const HEARTBEAT_MS = 15_000;

/**
 * The dashboard's live data: what the source delivers, kept per device and property (with a
 * short history for the sparklines), sent to every browser as Server-Sent Events coalesced per
 * tick, so a browser sees at most one value per property per second whatever the reading rate.
 * The source runs only while a browser watches (and a grace period after): with nobody watching
 * the dashboard costs the cloud and the edge nothing per reading.
 */
export class LiveFeed {
  private readonly clients = new Set<FeedClient>();
  private readonly devices = new Map<string, DeviceLive>();
  private dirty = new Map<string, { props: Set<string>; state: boolean; twin: boolean }>();
  private flags = { nodes: false, devices: false };
  private stopSource: (() => void) | undefined;
  private starting: Promise<void> | undefined;
  private tickTimer: Timer | undefined;
  private beatTimer: Timer | undefined;
  private graceTimer: Timer | undefined;
  private readonly tickMs: number;
  private readonly maxPoints: number;

  constructor(private readonly o: LiveFeedOptions) {
    this.tickMs = o.tickMs ?? 1000;
    this.maxPoints = o.historyPoints ?? 300;
  }

  get watching(): number {
    return this.clients.size;
  }

  get active(): boolean {
    return this.stopSource !== undefined;
  }

  /** Adds a browser: it gets the snapshot now, then updates. Returns the function that removes it. */
  async attach(client: FeedClient): Promise<() => void> {
    if (this.graceTimer) this.o.clock.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    await this.activate();
    this.clients.add(client);
    this.send(client, 'snapshot', this.snapshot());
    return () => this.detach(client);
  }

  /** Ends every stream and stops the source (the process is stopping). */
  close(): void {
    for (const c of [...this.clients]) c.end();
    this.clients.clear();
    this.deactivate();
  }

  private detach(client: FeedClient): void {
    if (!this.clients.delete(client) || this.clients.size > 0) return;
    if (this.graceTimer) this.o.clock.clearTimeout(this.graceTimer);
    this.graceTimer = this.o.clock.setTimeout(() => this.deactivate(), this.o.graceMs ?? 600_000);
  }

  private activate(): Promise<void> {
    if (this.stopSource) return Promise.resolve();
    this.starting ??= this.o.source
      .start(this.sink())
      .then((stop) => {
        this.stopSource = stop;
        this.dirty.clear(); // what the source seeded goes out in each browser's snapshot
        this.tickTimer = this.o.clock.setInterval(() => this.tick(), this.tickMs);
        this.beatTimer = this.o.clock.setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  private deactivate(): void {
    this.stopSource?.();
    this.stopSource = undefined;
    if (this.tickTimer) this.o.clock.clearInterval(this.tickTimer);
    if (this.beatTimer) this.o.clock.clearInterval(this.beatTimer);
    if (this.graceTimer) this.o.clock.clearTimeout(this.graceTimer);
    this.tickTimer = this.beatTimer = this.graceTimer = undefined;
    this.devices.clear();
    this.dirty.clear();
  }

  private sink(): FeedSink {
    const reading: FeedSink['reading'] = (device, property, value, quality, ts, unit, reason) => {
      const d = this.device(device);
      let p = d.props.get(property);
      if (!p) d.props.set(property, (p = { value: null, quality: 'good', ts: 0, t: [], v: [] }));
      if (ts < p.ts) return; // an older reading (a resend) does not replace a newer one
      p.value = value;
      p.quality = quality;
      p.ts = ts;
      if (p.unit !== unit) p.unitChanged = true;
      p.unit = unit;
      p.reason = reason;
      if (typeof value === 'number' && quality !== 'bad') this.point(p, ts, value);
      this.mark(device).props.add(property);
    };
    return {
      reading,
      readings: (device, readings) => {
        for (const r of readings) reading(device, r.property, r.value, r.quality, r.ts, r.unit, r.reason);
      },
      twin: (view) => {
        const d = this.device(view.id);
        d.twin = view.properties;
        if (view.state !== 'unknown' || !d.state)
          d.state = { state: view.state, reason: view.reason, ts: view.stateTs ?? d.state?.ts ?? 0 };
        for (const [name, p] of Object.entries(view.properties)) {
          const r = p.reported;
          const have = d.props.get(name);
          if (!r || (have && have.ts >= r.ts)) continue;
          const value = reportedValue(r.value);
          const prop = have ?? { value: null, quality: 'good' as Quality, ts: 0, t: [], v: [] };
          Object.assign(prop, { value, quality: r.quality, ts: r.ts });
          if (typeof value === 'number' && r.quality !== 'bad') this.point(prop, r.ts, value);
          d.props.set(name, prop);
          this.mark(view.id).props.add(name);
        }
        this.mark(view.id).twin = true;
        this.mark(view.id).state = true;
      },
      state: (device, state, reason, ts) => {
        this.device(device).state = { state, reason, ts };
        this.mark(device).state = true;
      },
      nodes: () => void (this.flags.nodes = true),
      devices: () => void (this.flags.devices = true),
    };
  }

  /** At most one point per tick interval: a newer value in the same interval replaces the last point. */
  private point(p: PropLive, ts: number, value: number): void {
    const last = p.t.length - 1;
    if (last >= 0 && Math.floor(ts / this.tickMs) === Math.floor(p.t[last]! / this.tickMs)) {
      p.t[last] = ts;
      p.v[last] = value;
      return;
    }
    p.t.push(ts);
    p.v.push(value);
    if (p.t.length > this.maxPoints) {
      p.t.shift();
      p.v.shift();
    }
  }

  private device(id: string): DeviceLive {
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = { props: new Map() }));
    return d;
  }

  private mark(id: string) {
    let m = this.dirty.get(id);
    if (!m) this.dirty.set(id, (m = { props: new Set(), state: false, twin: false }));
    return m;
  }

  private snapshot() {
    const devices: Record<string, unknown> = {};
    for (const [id, d] of this.devices) devices[id] = this.deviceJson(d, undefined, true);
    return { ts: this.o.clock.now(), tickMs: this.tickMs, devices };
  }

  /**
   * A device as JSON: with history (the snapshot: each property `{ value, unit?, quality, reason?,
   * ts, t, v }`), or what changed this tick, compactly: `[value, quality, ts]`, then the reason (or
   * null) when there is one or the unit changed, then the unit when it changed. A browser adds a
   * numeric value that is not bad to its sparkline. Compact because at 10,000 readings/s a
   * browser gets every property each second: objects were about 100 bytes per property.
   */
  private deviceJson(
    d: DeviceLive,
    only: { props: Set<string>; state: boolean; twin: boolean } | undefined,
    history: boolean,
  ) {
    const props: Record<string, unknown> = {};
    for (const [name, p] of d.props) {
      if (only && !only.props.has(name)) continue;
      if (history) {
        const { t, v, unitChanged: _u, ...live } = p;
        props[name] = { ...live, t, v };
        continue;
      }
      const entry: unknown[] = [p.value, p.quality, p.ts];
      if (p.reason !== undefined || p.unitChanged) entry.push(p.reason ?? null);
      if (p.unitChanged) entry.push(p.unit ?? null);
      p.unitChanged = false;
      props[name] = entry;
    }
    return {
      ...(d.state && (!only || only.state) ? { state: d.state } : {}),
      ...(d.twin && (!only || only.twin) ? { twin: d.twin } : {}),
      props,
    };
  }

  private tick(): void {
    if (this.dirty.size === 0 && !this.flags.nodes && !this.flags.devices) return;
    const devices: Record<string, unknown> = {};
    for (const [id, m] of this.dirty) {
      const d = this.devices.get(id);
      if (d) devices[id] = this.deviceJson(d, m, false);
    }
    const update = {
      ts: this.o.clock.now(),
      tickMs: this.tickMs,
      devices,
      ...(this.flags.nodes ? { nodes: true } : {}),
      ...(this.flags.devices ? { list: true } : {}),
    };
    this.dirty = new Map();
    this.flags = { nodes: false, devices: false };
    const text = event('update', update);
    for (const c of [...this.clients]) this.write(c, text);
  }

  private heartbeat(): void {
    for (const c of [...this.clients]) this.write(c, ': keep-alive\n\n');
  }

  private send(client: FeedClient, name: string, data: unknown): void {
    this.write(client, event(name, data));
  }

  private write(client: FeedClient, text: string): void {
    if (client.write(text)) return;
    client.end(); // too far behind: the browser reconnects and starts from a snapshot
    this.detach(client);
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A twin's reported value is a string (KubeEdge); numbers and booleans are shown as such. */
function reportedValue(text: string): number | boolean | string {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}
