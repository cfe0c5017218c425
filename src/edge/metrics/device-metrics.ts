import type { Counter, Gauge, Registry } from 'prom-client';
import type { EdgeChannels, EdgeDevice, EdgeRequests, RawReading } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { counter, gauge } from '../../core/metrics/index.js';
import type { Module } from '../../core/module/index.js';

export interface DeviceMetricsDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  registry: Registry;
}

const endpoint = { name: 'devicemetrics', group: 'metrics' };
const STATES = ['online', 'offline', 'unhealthy', 'unknown'] as const;
/** A code is a label value only if it looks like one; anything else would make a series per message. */
const CODE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

interface Series {
  state: string;
  reads: number;
  errors: Map<string, number>;
  /** ms since the epoch of the newest good reading. */
  lastGood: number | undefined;
  /** What the counters were given so far (they only go up: the difference is added when scraped). */
  exported: { reads: number; errors: Map<string, number> };
}

/**
 * Per-device series for Prometheus, from what the edge receives from any mapper (kedge's or
 * KubeEdge's): the state, when the last good value was read, reads and read errors by cause.
 * The hot path (every reading) only adds to plain numbers; prom-client sees them when scraped.
 * Writes are counted by the twin, which knows how each desired value ended.
 */
export class DeviceMetrics implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private readonly series = new Map<string, Series>();
  private undo: Array<() => void> = [];
  private metrics:
    | {
        state: Gauge<'device' | 'state'>;
        lastGood: Gauge<'device'>;
        reads: Counter<'device'>;
        errors: Counter<'device' | 'cause'>;
      }
    | undefined;

  constructor(private readonly deps: DeviceMetricsDeps) {}

  async start(): Promise<void> {
    const { bus, registry } = this.deps;
    this.metrics ??= this.register(registry);
    for (const d of await bus.request('meta.devices', {})) this.add(d);
    for (const [id, s] of this.series) s.state = (await bus.request('twin.view', { deviceId: id }))?.state ?? s.state;
    this.undo = [
      bus.subscribe('device.readings', endpoint, (e) => this.onReadings(e.deviceId, e.readings)),
      bus.subscribe('device.state', endpoint, (e) => {
        const s = this.series.get(e.deviceId);
        if (s) s.state = e.message.state;
      }),
      bus.subscribe('devices.changed', endpoint, (e) => {
        for (const id of e.removed) this.remove(id);
        for (const d of e.devices) this.add(d);
      }),
    ];
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
  }

  onReadings(deviceId: string, readings: readonly RawReading[]): void {
    const s = this.series.get(deviceId);
    if (!s) return;
    s.reads += readings.length;
    for (const r of readings) {
      if (r.quality === 'good') {
        if (s.lastGood === undefined || r.ts > s.lastGood) s.lastGood = r.ts;
      } else if (r.quality === 'bad') {
        const cause = r.code === undefined ? 'unspecified' : CODE.test(r.code) ? r.code : 'other';
        s.errors.set(cause, (s.errors.get(cause) ?? 0) + 1);
      }
    }
  }

  private add(d: EdgeDevice): void {
    const id = d.instance.id;
    if (this.series.has(id)) return;
    this.series.set(id, {
      state: 'unknown',
      reads: 0,
      errors: new Map(),
      lastGood: undefined,
      exported: { reads: 0, errors: new Map() },
    });
  }

  private remove(id: string): void {
    const s = this.series.get(id);
    if (!s || !this.metrics) return;
    this.series.delete(id);
    this.metrics.reads.remove({ device: id });
    for (const cause of s.errors.keys()) this.metrics.errors.remove({ device: id, cause });
  }

  private register(registry: Registry) {
    const series = this.series;
    return {
      state: gauge(registry, {
        name: 'kedge_device_state',
        help: 'Device state as its mapper reported it: 1 for the current state (online, offline, unhealthy, unknown), else 0',
        labelNames: ['device', 'state'],
        collect() {
          this.reset();
          for (const [device, s] of series)
            for (const state of STATES) this.set({ device, state }, s.state === state ? 1 : 0);
        },
      }),
      lastGood: gauge(registry, {
        name: 'kedge_device_last_good_read_timestamp_seconds',
        help: 'When the newest reading of quality good was read from the device (Unix time)',
        labelNames: ['device'],
        collect() {
          this.reset();
          for (const [device, s] of series) if (s.lastGood !== undefined) this.set({ device }, s.lastGood / 1000);
        },
      }),
      reads: counter(registry, {
        name: 'kedge_device_reads_total',
        help: 'Property readings received from the device’s mapper (every quality)',
        labelNames: ['device'],
        collect() {
          for (const [device, s] of series) {
            this.inc({ device }, s.reads - s.exported.reads);
            s.exported.reads = s.reads;
          }
        },
      }),
      errors: counter(registry, {
        name: 'kedge_device_read_errors_total',
        help: 'Property readings of quality bad, by device and cause (the mapper’s code, e.g. KEDGE_MODBUS_TIMEOUT or BadNodeIdUnknown; unspecified when it gave none)',
        labelNames: ['device', 'cause'],
        collect() {
          for (const [device, s] of series) {
            for (const [cause, n] of s.errors) {
              this.inc({ device, cause }, n - (s.exported.errors.get(cause) ?? 0));
              s.exported.errors.set(cause, n);
            }
          }
        },
      }),
    };
  }
}
