import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  DeviceColumnsBuilder,
  LinkResource,
  type CleansedPropertyReading,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
  type RawReading,
  type TelemetryColumnsContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import type { PropertyInstance } from '../../model/index.js';
import { PipelineSet, type PipelineSetSnapshot } from '../../pipeline/index.js';
import { CauseCounter, linkMessage } from '../shared/index.js';
import { plausible, type TimeBounds } from './plausible.js';
import type { OutboxEntryInput, OutboxStore, PipelineStateStore, WriteBatcher } from '../store/index.js';

/** How often heartbeats (report.maxSilenceMs) and staleness (holdLast.staleAfterMs) are checked. */
export const TICK_MS = 1000;

export interface PipelineModuleDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  stateStore: PipelineStateStore;
  outbox: OutboxStore;
  batcher: WriteBatcher;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  node: string;
  /** How far a reading's time may be from the edge's clock before it is marked bad. */
  timeBounds: TimeBounds;
  /** How often heartbeats and staleness are checked (tests tick faster; default TICK_MS). */
  tickMs?: number;
  /** How often the pipelines' state is saved (config edge.pipelineSnapshotMs; also on stop). */
  snapshotIntervalMs: number;
}

const endpoint = { name: 'pipeline', group: 'twin' };

/**
 * PipelineSet keys its snapshot `deviceId/property` and splits at the first '/', but a KubeEdge
 * device id is `<namespace>/<name>`: inside the set a device is `<namespace>:<name>` (':' cannot
 * occur in either part).
 */
const setKey = (deviceId: string) => deviceId.replace('/', ':');
const deviceOf = (key: string) => key.replace(':', '/');
/** Readings per telemetry batch: well under 100 KB column-wise, far below the link's 4 MiB frame. */
const BATCH_READINGS = 5000;

/**
 * Raw readings in, cleansed readings with quality out: runs each property's cleansing rules
 * (src/pipeline) and sends telemetry of `reportToCloud` properties to the outbox, all devices of a
 * commit in one batch entry.
 */
export class PipelineModule implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private set: PipelineSet | undefined;
  private readonly properties = new Map<string, Map<string, PropertyInstance>>();
  private telemetry = new Map<string, DeviceColumnsBuilder>();
  /** What the last flush took (given back if its transaction rolls back). */
  private taken: Map<string, DeviceColumnsBuilder> | undefined;
  private undo: Array<() => void> = [];
  private timers: Timer[] = [];
  private rejected: CauseCounter | undefined;

  constructor(private readonly deps: PipelineModuleDeps) {}

  async start(): Promise<void> {
    const { bus, clock } = this.deps;
    this.set = new PipelineSet({ registry: this.deps.registry });
    this.rejected ??= new CauseCounter(
      this.deps.logger,
      this.deps.registry,
      'kedge_edge_pipeline_rejected_total',
      'Readings the edge pipeline could not take, by device and cause',
    );
    for (const d of await bus.request('meta.devices', {})) this.configureDevice(d);
    this.restoreState();
    this.undo = [
      bus.subscribe('device.readings', endpoint, (e) => this.onReadings(e.deviceId, e.readings)),
      bus.subscribe('devices.changed', endpoint, (e) => this.onDevicesChanged(e.devices, e.removed)),
      this.deps.batcher.register({
        flush: () => this.flushTelemetry(),
        // A rolled-back commit is tried again (after making room on a full disk): keep its readings.
        rollback: () => {
          if (this.taken) for (const [id, b] of this.taken) if (!this.telemetry.has(id)) this.telemetry.set(id, b);
          this.taken = undefined;
        },
        // A commit that failed for good closed the mappers' connections without a PUBACK: they send
        // these readings again, so keeping them would store them twice.
        abandon: () => {
          this.telemetry = new Map();
        },
      }),
    ];
    this.timers = [
      clock.setInterval(() => this.tick(), this.deps.tickMs ?? TICK_MS),
      clock.setInterval(() => this.saveState(), this.deps.snapshotIntervalMs),
    ];
  }

  async stop(): Promise<void> {
    for (const t of this.timers) this.deps.clock.clearInterval(t);
    this.timers = [];
    this.saveState();
    this.deps.batcher.flushNow();
    for (const fn of this.undo) fn();
    this.undo = [];
    this.properties.clear();
    this.set = undefined;
  }

  /** Processes one device's raw readings synchronously; publishes what comes out. */
  onReadings(deviceId: string, readings: RawReading[]): void {
    const set = this.set;
    const props = this.properties.get(deviceId);
    if (!set || !props) {
      this.rejected?.count(
        deviceId,
        'unknown-device',
        { deviceId },
        `readings for ${deviceId}, which is not a device of this node`,
      );
      return;
    }
    const out: CleansedPropertyReading[] = [];
    const key = setKey(deviceId);
    const now = this.deps.clock.now();
    for (const given of readings) {
      const prop = props.get(given.property);
      if (!prop) {
        this.rejected?.count(
          deviceId,
          'unknown-property',
          { deviceId, property: given.property },
          `reading for unknown property ${deviceId}/${given.property}`,
        );
        continue;
      }
      const raw = plausible(given, prop, now, this.deps.timeBounds);
      if (raw !== given)
        this.rejected?.count(deviceId, 'implausible', { deviceId, property: raw.property }, raw.reason!);
      const cleansed = set.process(key, raw.property, raw);
      if (cleansed)
        out.push({
          property: raw.property,
          value: cleansed.value as CleansedPropertyReading['value'],
          quality: cleansed.quality,
          ts: cleansed.ts,
          reason: cleansed.reason,
          unit: cleansed.unit ?? prop.unit,
          reportToCloud: prop.reportToCloud,
        });
    }
    if (out.length > 0) this.emit(deviceId, out);
  }

  private emit(deviceId: string, readings: CleansedPropertyReading[]): void {
    this.deps.bus.publish('device.cleansed', { deviceId, readings });
    let pending: DeviceColumnsBuilder | undefined;
    for (const r of readings) {
      if (!r.reportToCloud) continue;
      pending ??= this.telemetry.get(deviceId);
      if (!pending) this.telemetry.set(deviceId, (pending = new DeviceColumnsBuilder(deviceId)));
      pending.add(r.property, r.value, r.quality, r.ts, r.unit, r.reason);
    }
    // After the readings are in the buffer (a flush always takes whole device entries).
    if (pending) this.deps.batcher.mark();
  }

  /**
   * All devices' telemetry of one commit goes into as few outbox entries as fit
   * BATCH_READINGS readings each: one link message, frame, acknowledgement and dedupe id per
   * batch instead of per device (at 10,000 readings/s that was 200 messages a second, and per
   * message costs were a quarter of the edge's and the cloud's CPU; bench/RESULTS.md "End to end"),
   * column-wise (src/contracts/telemetry-columns.ts).
   */
  private flushTelemetry(): void {
    if (this.telemetry.size === 0) return;
    const { node, clock } = this.deps;
    const now = clock.now();
    const entries: OutboxEntryInput[] = [];
    let devices: TelemetryColumnsContent['devices'] = [];
    let count = 0;
    const close = (): void => {
      const content: TelemetryColumnsContent = { devices };
      entries.push({
        kind: 'reading',
        key: `default/${node}`,
        readings: count,
        message: linkMessage(
          node,
          `default/${node}`,
          LinkResource.telemetryColumns,
          'upload',
          'pipeline',
          content,
          now,
        ),
      });
      devices = [];
      count = 0;
    };
    for (const builder of this.telemetry.values()) {
      devices.push(builder.columns);
      count += builder.count;
      if (count >= BATCH_READINGS) close();
    }
    if (devices.length > 0) close();
    this.taken = this.telemetry;
    this.telemetry = new Map();
    this.deps.outbox.append(entries);
  }

  private tick(): void {
    const set = this.set;
    if (!set) return;
    const byDevice = new Map<string, CleansedPropertyReading[]>();
    for (const o of set.tick(this.deps.clock.now())) {
      const deviceId = deviceOf(o.deviceId);
      const prop = this.properties.get(deviceId)?.get(o.property);
      const list = byDevice.get(deviceId) ?? [];
      list.push({
        property: o.property,
        value: o.reading.value as CleansedPropertyReading['value'],
        quality: o.reading.quality,
        ts: o.reading.ts,
        reason: o.reading.reason,
        unit: o.reading.unit ?? prop?.unit,
        reportToCloud: prop?.reportToCloud ?? false,
      });
      byDevice.set(deviceId, list);
    }
    for (const [deviceId, readings] of byDevice) this.emit(deviceId, readings);
  }

  private configureDevice(device: EdgeDevice): void {
    const set = this.set!;
    const { id, properties } = device.instance;
    set.remove(setKey(id));
    const props = new Map<string, PropertyInstance>();
    for (const p of properties) {
      try {
        set.configure(setKey(id), p.name, p.cleansing ?? {});
      } catch (err) {
        // Rules were checked on apply; a model change can still break them. Pass through uncleansed.
        this.deps.logger.error(
          { deviceId: id, property: p.name, err: errorText(err) },
          'cleansing rules rejected; property passes uncleansed',
        );
        set.configure(setKey(id), p.name, {});
      }
      props.set(p.name, p);
    }
    this.properties.set(id, props);
  }

  private onDevicesChanged(devices: EdgeDevice[], removed: string[]): void {
    for (const id of removed) {
      this.set?.remove(setKey(id));
      this.properties.delete(id);
    }
    for (const d of devices) {
      const old = this.properties.get(d.instance.id);
      if (old && JSON.stringify([...old.values()]) === JSON.stringify(d.instance.properties)) continue;
      this.configureDevice(d);
    }
  }

  private restoreState(): void {
    let saved: Record<string, unknown>;
    try {
      saved = this.deps.stateStore.loadAll();
    } catch (err) {
      this.deps.logger.error({ err: errorText(err) }, 'pipeline state unreadable; starting fresh');
      return;
    }
    try {
      const unknown = this.set!.restore(saved as PipelineSetSnapshot);
      if (unknown.length > 0) this.deps.stateStore.delete(unknown);
    } catch (err) {
      this.deps.logger.warn({ err: errorText(err) }, 'pipeline state could not be restored; starting fresh');
    }
  }

  private saveState(): void {
    if (!this.set) return;
    try {
      this.deps.stateStore.saveAll(this.set.snapshot());
    } catch (err) {
      this.deps.logger.error({ err: errorText(err) }, 'pipeline state not saved');
    }
  }
}
