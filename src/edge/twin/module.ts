import type { Logger } from 'pino';
import type { Counter, Histogram, Registry } from 'prom-client';
import {
  edgeTopics,
  type CleansedPropertyReading,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
  type RawReading,
  type StateUpdate,
  type DesiredFailed,
  type TwinUpdate,
  type TwinView,
  type WriteResult,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { counter, detachedRegistry, histogram } from '../../core/metrics/index.js';
import type { Module } from '../../core/module/index.js';
import { normalizeDesired, parsePropertyValue, writeLimitsFor, type PropertyInstance } from '../../model/index.js';
import { twinString } from '../shared/index.js';
import type { OutboxStore, TwinRecord, TwinStore, WriteBatcher } from '../store/index.js';
import { TwinBook, type DeviceTwin } from './book.js';
import { ResultCode, twinErrors } from './errors.js';
import { errorResult, eventBase, msgTwin } from './messages.js';
import { confirms } from './values.js';
import { applyOptional, checkOptional, liveOptional, optionalMsgTwin } from './optional.js';

/** Device metadata (label or annotation) that lets edge applications set desired values. */
export const LOCAL_DESIRED_ANNOTATION = 'kedge.io/local-desired';
/** Device metadata overriding how long a desired value may stay unconfirmed (ms). */
export const DESIRED_TIMEOUT_ANNOTATION = 'kedge.io/desired-timeout-ms';

export interface TwinModuleDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  store: TwinStore;
  outbox: OutboxStore;
  batcher: WriteBatcher;
  clock: Clock;
  logger: Logger;
  node: string;
  /** Time for a mapper to confirm a desired value (config edge.desiredTimeoutMs; per device: an annotation). */
  desiredTimeoutMs: number;
  /** Reports of reported values only go to the cloud at most this often per device (edge.twinReportIntervalMs). */
  reportIntervalMs: number;
  /** How often journaled reported values are folded into the twin rows (edge.twinCheckpointMs; also on stop). */
  checkpointMs: number;
  /** A device's reported values are journaled at most this often (edge.twinJournalMs; see TwinBook). */
  journalMs?: number;
  /** Where write outcomes and round trips are counted (none: not counted). */
  registry?: Registry;
}

type WriteOutcome = 'confirmed' | 'failed' | 'timeout';

const endpoint = { name: 'twin', group: 'twin' };

/**
 * KubeEdge's DeviceTwin: desired and reported values with versions, the MQTT twin messages, the
 * desired -> delta -> write -> read-back loop with a timeout, device state and membership.
 */
export class TwinModule implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private book: TwinBook | undefined;
  /** The device whose twin/update is feeding the pipeline right now (see onTwinUpdate). */
  private answering: string | undefined;
  private readonly timers = new Map<string, Timer>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private undo: Array<() => void> = [];
  private tickTimer: Timer | undefined;
  private checkpointTimer: Timer | undefined;
  private writes: { outcomes: Counter<'device' | 'outcome'>; seconds: Histogram<'outcome'> } | undefined;

  constructor(private readonly deps: TwinModuleDeps) {}

  async start(): Promise<void> {
    const { bus, store, clock } = this.deps;
    const registry = this.deps.registry ?? detachedRegistry();
    this.writes = {
      outcomes: counter(registry, {
        name: 'kedge_device_writes_total',
        help: 'Desired values settled, by device and outcome (confirmed by the device, failed, timeout)',
        labelNames: ['device', 'outcome'],
      }),
      seconds: histogram(registry, {
        name: 'kedge_device_write_duration_seconds',
        help: 'Write round trip: from a desired value sent to the mapper (delta) to its confirmation, failure or timeout',
        labelNames: ['outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
    };
    const book = new TwinBook(this.deps);
    this.book = book;
    const records = store.loadAll();
    const states = store.loadStates();
    for (const d of await bus.request('meta.devices', {})) {
      this.addDevice(d, records.get(d.instance.id) ?? new Map(), states.get(d.instance.id));
    }
    this.undo = [
      this.deps.batcher.register(book),
      bus.subscribe('device.cleansed', endpoint, (e) => this.onCleansed(e.deviceId, e.readings)),
      bus.subscribe('twin.update', endpoint, (e) => this.onTwinUpdate(e.deviceId, e.message)),
      bus.subscribe('twin.get', endpoint, (e) => this.onTwinGet(e.deviceId, e.eventId)),
      bus.subscribe('twin.desired', endpoint, (e) => this.onDesired(e.deviceId, e.desired, e.source)),
      bus.subscribe('device.state', endpoint, (e) => this.onState(e.deviceId, e.message)),
      bus.subscribe('device.writeResult', endpoint, (e) => this.onWriteResult(e.deviceId, e.result)),
      bus.subscribe('membership.get', endpoint, (e) => this.onMembershipGet(e.eventId)),
      bus.subscribe('devices.changed', endpoint, (e) => this.onDevicesChanged(e.devices, e.removed)),
      bus.serve('twin.view', endpoint, (req) => this.view(req.deviceId)),
      bus.serve('twin.setDesired', endpoint, (req) => this.setDesiredFromApi(req.deviceId, req.properties, req.waitMs)),
    ];
    // Reports held back by the per-device interval, and reported values by the journal's, need a
    // later batch: the next one of the readings, or one of their own when none came for a second
    // (a commit of its own writes page 1 and the free list again: SD card wear).
    this.tickTimer = clock.setInterval(() => {
      const now = clock.now();
      if (now - this.deps.batcher.lastCommitAt < 1000) return;
      if (book.waitingReports > 0 || book.journalDue(now)) this.deps.batcher.mark();
    }, 1000);
    this.checkpointTimer = clock.setInterval(() => book.requestCheckpoint(), this.deps.checkpointMs);
  }

  async stop(): Promise<void> {
    if (this.tickTimer) this.deps.clock.clearInterval(this.tickTimer);
    if (this.checkpointTimer) this.deps.clock.clearInterval(this.checkpointTimer);
    this.tickTimer = this.checkpointTimer = undefined;
    this.book?.requestCheckpoint();
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    for (const set of this.waiters.values()) for (const w of set) w();
    this.waiters.clear();
    this.deps.batcher.flushNow();
    for (const fn of this.undo) fn();
    this.undo = [];
    this.book = undefined;
  }

  // ---- devices ---------------------------------------------------------------------------

  private addDevice(device: EdgeDevice, records: Map<string, TwinRecord>, state: TwinDeviceState | undefined): void {
    const props = new Map(device.instance.properties.map((p) => [p.name, p]));
    const twin: DeviceTwin = {
      device,
      props,
      records,
      state: state ?? { state: 'unknown', ts: this.deps.clock.now() },
    };
    this.book!.twins.set(device.instance.id, twin);
    const delta: string[] = [];
    for (const p of device.instance.properties) {
      const rec = this.record(twin, p.name);
      if (rec.pending) {
        this.armTimer(device.instance.id, p.name, rec.pending.deadline - this.deps.clock.now());
        delta.push(p.name);
      }
      if (p.desired !== undefined && p.desired !== rec.specDesired) {
        rec.specDesired = p.desired;
        if (this.applyDesired(twin, p, p.desired, 'cloud')) delta.push(p.name);
        this.book!.touch(device.instance.id, p.name);
      }
    }
    // After a restart, unconfirmed desired values are announced again so the mapper gets them.
    if (delta.length > 0) this.publishDelta(twin);
  }

  private onDevicesChanged(devices: EdgeDevice[], removed: string[]): void {
    const book = this.book!;
    const added: string[] = [];
    for (const id of removed) {
      for (const key of [...this.timers.keys()].filter((k) => k.startsWith(`${id}\u0000`))) {
        this.deps.clock.clearTimeout(this.timers.get(key)!);
        this.timers.delete(key);
      }
      book.forget(id);
      for (const outcome of ['confirmed', 'failed', 'timeout'] as const)
        this.writes?.outcomes.remove({ device: id, outcome });
    }
    for (const d of devices) {
      const existing = book.twins.get(d.instance.id);
      if (existing && JSON.stringify(existing.device) === JSON.stringify(d)) continue;
      if (!existing) added.push(d.instance.id);
      this.addDevice(d, existing?.records ?? new Map(), existing?.state);
    }
    if (added.length + removed.length > 0) {
      this.publish(edgeTopics.membershipUpdated(this.deps.node), {
        ...eventBase(this.deps.clock.now()),
        added_devices: added.map((id) => this.memberOf(id)),
        removed_devices: removed.map((id) => ({ id, name: id.slice(id.indexOf('/') + 1) })),
      });
    }
  }

  // ---- reported values ---------------------------------------------------------------------

  private onCleansed(deviceId: string, readings: CleansedPropertyReading[]): void {
    const twin = this.book?.twins.get(deviceId);
    if (!twin) return;
    const now = this.deps.clock.now();
    // The document is built only if a client subscribes to it: keep the before-images cheaply.
    // Without a pending desired value only `reported` changes here (and it is replaced, never
    // mutated), so the old reported object is the whole before-image; with one, confirm() may
    // change more, and the record is copied.
    const changes: Array<{
      prop: PropertyInstance;
      rec: TwinRecord;
      before: TwinRecord | undefined;
      reported: TwinRecord['reported'];
    }> = [];
    for (const r of readings) {
      const prop = twin.props.get(r.property);
      if (!prop) continue;
      const rec = this.record(twin, r.property);
      const before = rec.pending ? { ...rec } : undefined;
      changes.push({ prop, rec, before, reported: rec.reported });
      const value = r.value === null ? (rec.reported?.value ?? '') : twinString(r.value);
      rec.reported = { value, quality: r.quality, ts: r.ts, version: (rec.reported?.version ?? 0) + 1 };
      if (r.reason && r.quality !== 'good') rec.reported.reason = r.reason;
      this.book!.noteReported(deviceId, r.property, rec.reported);
      if (rec.pending && r.quality !== 'bad' && confirms(prop.type, rec.pending.value, r.value))
        this.confirm(twin, prop, rec, now);
      else if (rec.failed && rec.desired && r.quality !== 'bad' && confirms(prop.type, rec.desired.value, r.value))
        this.confirm(twin, prop, rec, now); // after its timeout: the delta sent again has been applied
    }
    if (changes.length === 0) return;
    this.book!.marked(changes.length);
    if (this.answering === deviceId) return; // a twin/update's own values: its answer has the document
    this.publish(edgeTopics.twinUpdateDocument(deviceId), () => {
      const doc: Record<string, { last: ReturnType<typeof msgTwin>; current: ReturnType<typeof msgTwin> }> = {};
      for (const c of changes)
        doc[c.prop.name] = {
          last: msgTwin(c.prop, c.before ?? { ...c.rec, reported: c.reported }),
          current: msgTwin(c.prop, c.rec),
        };
      return { ...eventBase(now), twin: doc };
    });
  }

  private onWriteResult(deviceId: string, result: WriteResult): void {
    const twin = this.book?.twins.get(deviceId);
    const prop = twin?.props.get(result.property);
    if (!twin || !prop) return;
    const rec = this.record(twin, prop.name);
    if (!rec.pending || rec.pending.value !== result.desired) return;
    if (!result.ok) return this.fail(twin, prop, rec, result.reason ?? 'the mapper could not write the value');
    // The read-back already went through the pipeline (the EventBus publishes it as a reading
    // before the result); a cleansed value matching the desired one has confirmed it there. What
    // is still pending is judged by the raw read-back: cleansing may hold or smooth the value.
    const readBack = result.readBack;
    if (!readBack) return;
    if (readBack.quality !== 'bad' && !confirms(prop.type, rec.pending.value, readBack.value)) {
      this.fail(
        twin,
        prop,
        rec,
        `the device reads back ${JSON.stringify(readBack.value)} after writing ${JSON.stringify(result.desired)}`,
      );
    } else this.confirm(twin, prop, rec, this.deps.clock.now());
  }

  // ---- desired values ----------------------------------------------------------------------

  /** Sets a desired value; returns true when it now waits for the device (a delta is due). */
  private applyDesired(twin: DeviceTwin, prop: PropertyInstance, value: string, source: 'cloud' | 'edge'): boolean {
    const id = twin.device.instance.id;
    const now = this.deps.clock.now();
    const rec = this.record(twin, prop.name);
    if (source === 'cloud') rec.cloudVersion++;
    else rec.edgeVersion++;
    rec.desired = { value, ts: now, version: rec.cloudVersion + rec.edgeVersion, source };
    delete rec.failed;
    this.clearTimer(id, prop.name);
    const reported = rec.reported && rec.reported.quality !== 'bad' ? rec.reported.value : null;
    if (reported !== null && confirms(prop.type, value, reported)) delete rec.pending;
    else {
      const timeout = this.timeoutOf(twin);
      rec.pending = { value, since: now, deadline: now + timeout };
      this.armTimer(id, prop.name, timeout);
    }
    this.book!.touch(id, prop.name);
    this.book!.report(
      id,
      prop.name,
      { desired: { value, ts: now, version: rec.desired.version }, desiredSource: source },
      true,
    );
    return rec.pending !== undefined;
  }

  /**
   * Checks every value first (type, range, what the device's register holds: normalizeDesired) and
   * applies it in its one spelling: a request is applied whole or not at all.
   */
  private setDesired(deviceId: string, desired: Record<string, string>, source: 'cloud' | 'edge'): DeviceTwin {
    const twin = this.book?.twins.get(deviceId);
    if (!twin) throw twinErrors.create('KEDGE_TWIN_UNKNOWN_DEVICE', `device ${deviceId} is not on this node`);
    const checked: Record<string, string> = {};
    for (const [name, value] of Object.entries(desired)) {
      const prop = twin.props.get(name);
      if (!prop) throw twinErrors.create('KEDGE_TWIN_UNKNOWN_PROPERTY', `device ${deviceId} has no property ${name}`);
      if (prop.accessMode !== 'ReadWrite')
        throw twinErrors.create('KEDGE_TWIN_READ_ONLY', `property ${deviceId}/${name} is ReadOnly`);
      try {
        checked[name] = normalizeDesired(
          prop,
          value,
          writeLimitsFor(twin.device.instance.protocol, prop.visitor, prop.type),
        );
      } catch (err) {
        throw twinErrors.create('KEDGE_TWIN_BAD_VALUE', `device ${deviceId}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    let delta = false;
    for (const [name, value] of Object.entries(checked))
      delta = this.applyDesired(twin, twin.props.get(name)!, value, source) || delta;
    if (delta) this.publishDelta(twin);
    return twin;
  }

  private onDesired(deviceId: string, desired: Record<string, string>, source: 'cloud' | 'edge'): void {
    try {
      this.setDesired(deviceId, desired, source);
    } catch (err) {
      this.deps.logger.warn({ deviceId, source, err: errorText(err) }, 'desired values rejected');
    }
  }

  private async setDesiredFromApi(
    deviceId: string,
    properties: Record<string, string>,
    waitMs?: number,
  ): Promise<TwinView> {
    // The local API is the node's administrator (127.0.0.1 only): no local-desired policy applies.
    const twin = this.setDesired(deviceId, properties, 'edge');
    if (waitMs && waitMs > 0) await this.waitSettled(twin, Object.keys(properties), waitMs);
    return this.view(deviceId)!;
  }

  private waitSettled(twin: DeviceTwin, names: string[], waitMs: number): Promise<void> {
    const id = twin.device.instance.id;
    const settled = () => names.every((n) => !twin.records.get(n)?.pending);
    if (settled()) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const done = () => {
        set.delete(check);
        this.deps.clock.clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (settled() || !this.book) done();
      };
      const timer = this.deps.clock.setTimeout(done, waitMs);
      set.add(check);
    });
  }

  private settled(deviceId: string, rec: TwinRecord, outcome: WriteOutcome, now: number): void {
    if (!rec.pending) return;
    this.writes?.outcomes.inc({ device: deviceId, outcome });
    this.writes?.seconds.observe({ outcome }, Math.max(0, now - rec.pending.since) / 1000);
  }

  private confirm(twin: DeviceTwin, prop: PropertyInstance, rec: TwinRecord, now: number): void {
    const id = twin.device.instance.id;
    this.settled(id, rec, 'confirmed', now);
    delete rec.pending;
    delete rec.failed;
    this.clearTimer(id, prop.name);
    this.book!.touch(id, prop.name);
    if (rec.reported) this.book!.report(id, prop.name, { reported: rec.reported }, true);
    this.notify(id);
    this.deps.logger.debug({ deviceId: id, property: prop.name, at: now }, 'desired value confirmed');
  }

  private fail(
    twin: DeviceTwin,
    prop: PropertyInstance,
    rec: TwinRecord,
    reason: string,
    outcome: WriteOutcome = 'failed',
  ): void {
    const id = twin.device.instance.id;
    const now = this.deps.clock.now();
    this.settled(id, rec, outcome, now);
    const value = rec.pending?.value ?? rec.desired?.value ?? '';
    delete rec.pending;
    rec.failed = { value, reason, ts: now };
    this.clearTimer(id, prop.name);
    this.book!.touch(id, prop.name);
    this.book!.report(id, prop.name, { failed: rec.failed }, true);
    // On kedge's own topic: KubeEdge's result topic answers requests (a 504 there, with an event id
    // nobody sent, confused mappers and apps written for KubeEdge).
    const failed: DesiredFailed = { ...eventBase(now), property: prop.name, value, reason };
    this.publish(edgeTopics.desiredFailed(id), failed);
    this.deps.logger.warn({ deviceId: id, property: prop.name, value, reason }, 'desired value not confirmed');
    this.notify(id);
  }

  private armTimer(deviceId: string, property: string, ms: number): void {
    this.clearTimer(deviceId, property);
    const key = `${deviceId}\u0000${property}`;
    this.timers.set(
      key,
      this.deps.clock.setTimeout(
        () => {
          this.timers.delete(key);
          const twin = this.book?.twins.get(deviceId);
          const prop = twin?.props.get(property);
          const rec = twin?.records.get(property);
          if (!twin || !prop || !rec?.pending) return;
          const reported = rec.reported
            ? `reported ${rec.reported.value} (${rec.reported.quality})`
            : 'nothing reported';
          this.fail(
            twin,
            prop,
            rec,
            `not confirmed by the device within ${this.timeoutOf(twin)} ms; ${reported}`,
            'timeout',
          );
        },
        Math.max(0, ms),
      ),
    );
  }

  private clearTimer(deviceId: string, property: string): void {
    const key = `${deviceId}\u0000${property}`;
    const t = this.timers.get(key);
    if (t) this.deps.clock.clearTimeout(t);
    this.timers.delete(key);
  }

  private notify(deviceId: string): void {
    for (const w of [...(this.waiters.get(deviceId) ?? [])]) w();
  }

  private timeoutOf(twin: DeviceTwin): number {
    const own = Number(twin.device.annotations[DESIRED_TIMEOUT_ANNOTATION]);
    return Number.isFinite(own) && own > 0 ? own : this.deps.desiredTimeoutMs;
  }

  // ---- KubeEdge MQTT requests --------------------------------------------------------------

  private onTwinUpdate(deviceId: string, message: TwinUpdate): void {
    const now = this.deps.clock.now();
    const resultTopic = edgeTopics.twinUpdateResult(deviceId);
    const twin = this.book?.twins.get(deviceId);
    if (!twin)
      return this.publish(
        resultTopic,
        errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, message.event_id),
      );
    const problem = this.checkTwinUpdate(twin, message);
    if (problem) return this.publish(resultTopic, errorResult(now, problem.code, problem.reason, message.event_id));
    // A model's twin set to null is left as it is (KubeEdge deletes optional twins only): not in the answer.
    const names = Object.keys(message.twin).filter((n) => message.twin[n] !== null || !twin.props.has(n));
    // A twin with no value yet is `last: null` in the document, as KubeEdge's for a new twin.
    const before = new Map(names.map((n) => [n, this.msgTwinOf(twin, n)]));
    const desired: Record<string, string> = {};
    const readings: RawReading[] = [];
    for (const [name, t] of Object.entries(message.twin)) {
      if (!twin.props.has(name)) {
        this.applyOptional(twin, name, t, message.timestamp);
        continue;
      }
      if (t === null) continue;
      if (isDesiredRequest(t)) desired[name] = t.expected!.value;
      if (t.actual) {
        const prop = twin.props.get(name)!;
        readings.push({
          property: name,
          value: parsePropertyValue(prop.type, t.actual.value),
          quality: 'good',
          ts: t.actual.metadata?.timestamp ?? message.timestamp,
        });
      }
    }
    if (Object.keys(desired).length > 0) this.setDesired(deviceId, desired, 'edge');
    // Actual values are readings: the pipeline cleanses them into `reported`. A handler does not
    // feed the pipeline while the bus delivers to it, so they go in once this handler returned,
    // and the result is built after them.
    queueMicrotask(() => {
      try {
        // The pipeline answers synchronously: the values it cleanses now are this update's, and
        // go into this update's one document (with the request's event_id), not one of their own.
        this.answering = deviceId;
        try {
          if (readings.length > 0) this.deps.bus.publish('device.readings', { deviceId, readings, source: 'twin' });
        } finally {
          this.answering = undefined;
        }
        this.answerTwinUpdate(twin, message, names, before, Object.keys(desired).length > 0);
      } catch (err) {
        this.deps.logger.error({ deviceId, err: errorText(err) }, 'twin/update not answered');
      }
    });
  }

  private answerTwinUpdate(
    twin: DeviceTwin,
    message: TwinUpdate,
    names: string[],
    before: Map<string, ReturnType<typeof msgTwin> | null>,
    desiredSet: boolean,
  ): void {
    const deviceId = twin.device.instance.id;
    const now = this.deps.clock.now();
    // A deleted twin is `null` in the result and `current: null` in the document (dealTwinDelete).
    const result: Record<string, ReturnType<typeof msgTwin> | null> = {};
    const doc: Record<string, { last: ReturnType<typeof msgTwin> | null; current: ReturnType<typeof msgTwin> | null }> =
      {};
    for (const n of names) {
      const current = this.msgTwinOf(twin, n);
      result[n] = current;
      doc[n] = { last: before.get(n) ?? null, current };
    }
    this.publish(edgeTopics.twinUpdateResult(deviceId), { event_id: message.event_id, timestamp: now, twin: result });
    this.publish(edgeTopics.twinUpdateDocument(deviceId), { ...eventBase(now, message.event_id), twin: doc });
    // KubeEdge builds the delta after every twin update and sends it while expected != actual
    // (dttype BuildDeviceTwinDelta): a mapper that reports gets the values it has not applied again.
    if (!desiredSet) this.publishDelta(twin);
  }

  /** A twin in KubeEdge's message shape; null for one that has no value yet or was deleted. */
  private msgTwinOf(twin: DeviceTwin, name: string): ReturnType<typeof msgTwin> | null {
    const rec = twin.records.get(name);
    const prop = twin.props.get(name);
    if (!prop) return liveOptional(rec) ? optionalMsgTwin(rec!) : null;
    return rec?.desired || rec?.reported ? msgTwin(prop, rec) : null;
  }

  /** An optional twin's entry applied (no cleansing: there is no model property to cleanse by) and reported. */
  private applyOptional(twin: DeviceTwin, name: string, entry: TwinUpdate['twin'][string], eventTs: number): void {
    const id = twin.device.instance.id;
    const rec = this.record(twin, name);
    // `expected` beside `actual` is a mapper's observed desired value: never a new desired value.
    let applied = entry;
    if (entry && !isDesiredRequest(entry)) {
      const { expected: _observed, ...rest } = entry;
      applied = rest;
    }
    const change = applyOptional(rec, applied, this.deps.clock.now(), eventTs);
    this.book!.touch(id, name);
    const { reported, desired, deleted } = change;
    this.book!.report(
      id,
      name,
      {
        optional: true,
        deleted: deleted ?? false,
        ...(reported ? { reported } : {}),
        ...(desired
          ? {
              desired: { value: desired.value, ts: desired.ts, version: desired.version },
              desiredSource: 'edge' as const,
            }
          : {}),
      },
      desired !== undefined || deleted === true,
    );
  }

  private checkTwinUpdate(twin: DeviceTwin, message: TwinUpdate): { code: number; reason: string } | undefined {
    const id = twin.device.instance.id;
    let optionals = [...twin.records].filter(([n, r]) => !twin.props.has(n) && liveOptional(r)).length;
    for (const [name, t] of Object.entries(message.twin)) {
      const prop = twin.props.get(name);
      if (!prop) {
        // KubeEdge's optional twin: created, updated or deleted, never cleansed.
        const rec = twin.records.get(name);
        const problem = checkOptional(id, name, t, rec, optionals);
        if (problem) return problem;
        if (t !== null && !liveOptional(rec)) optionals++;
        if (t !== null && isDesiredRequest(t) && twin.device.annotations[LOCAL_DESIRED_ANNOTATION] !== 'true')
          return {
            code: ResultCode.forbidden,
            reason: `device ${id} does not allow desired values from the edge (set ${LOCAL_DESIRED_ANNOTATION}: "true")`,
          };
        continue;
      }
      if (t === null) continue;
      if (isDesiredRequest(t)) {
        if (twin.device.annotations[LOCAL_DESIRED_ANNOTATION] !== 'true') {
          return {
            code: ResultCode.forbidden,
            reason: `device ${id} does not allow desired values from the edge (set ${LOCAL_DESIRED_ANNOTATION}: "true")`,
          };
        }
        if (prop.accessMode !== 'ReadWrite')
          return { code: ResultCode.badRequest, reason: `property ${id}/${name} is ReadOnly` };
        const stale = staleVersion(name, t.expected_version, twin.records.get(name));
        if (stale) return { code: ResultCode.conflict, reason: stale };
      }
      // An observed desired value (expected beside actual) is never applied: it is not checked
      // either (mapper-framework sends "" when the mapper holds none).
      for (const [which, v] of [
        ['expected', isDesiredRequest(t) ? t.expected : undefined],
        ['actual', t.actual],
      ] as const) {
        if (!v) continue;
        try {
          parsePropertyValue(prop.type, v.value);
        } catch (err) {
          return { code: ResultCode.badRequest, reason: `twin.${name}.${which}.value: ${errorText(err)}` };
        }
      }
    }
    return undefined;
  }

  private onTwinGet(deviceId: string, eventId: string): void {
    const now = this.deps.clock.now();
    const twin = this.book?.twins.get(deviceId);
    if (!twin)
      return this.publish(
        edgeTopics.twinGetResult(deviceId),
        errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, eventId),
      );
    this.publish(edgeTopics.twinGetResult(deviceId), { event_id: eventId, timestamp: now, twin: this.msgTwins(twin) });
  }

  private onState(deviceId: string, message: StateUpdate): void {
    const twin = this.book?.twins.get(deviceId);
    const now = this.deps.clock.now();
    if (!twin)
      return this.publish(
        edgeTopics.stateUpdateResult(deviceId),
        errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, message.event_id),
      );
    const wasOnline = twin.state.state === 'online';
    const changed = twin.state.state !== message.state || twin.state.reason !== message.reason;
    twin.state = { state: message.state, ts: message.timestamp, ...(message.reason ? { reason: message.reason } : {}) };
    this.book!.touchState(deviceId, changed);
    // KubeEdge's result (dtmanager/device.go): the device with its state and the time of this
    // update as lastOnlineTime; kedge keeps its own `state` beside it.
    this.publish(edgeTopics.stateUpdateResult(deviceId), {
      event_id: message.event_id,
      timestamp: now,
      state: message.state,
      device: {
        name: twin.device.instance.name,
        state: message.state,
        // omitempty: KubeEdge sets it for online (and ok) only.
        ...(message.state === 'online' ? { lastOnlineTime: rfc3339(now) } : {}),
      },
    });
    if (!wasOnline && message.state === 'online') this.announceUnconfirmed(twin);
  }

  /**
   * A device that has just come online gets every desired value it does not report yet: the delta
   * sent when the value was set may have gone out before a mapper hosted the device (at start-up
   * nobody subscribes yet), and one that timed out while the device was away is still wanted.
   */
  private announceUnconfirmed(twin: DeviceTwin): void {
    const id = twin.device.instance.id;
    const now = this.deps.clock.now();
    let delta = false;
    for (const [name, rec] of twin.records) {
      const prop = twin.props.get(name);
      if (!prop || !rec.desired || !(rec.pending || rec.failed)) continue;
      const reported = rec.reported && rec.reported.quality !== 'bad' ? rec.reported.value : null;
      if (reported !== null && confirms(prop.type, rec.desired.value, reported)) continue;
      const timeout = this.timeoutOf(twin);
      delete rec.failed;
      rec.pending = { value: rec.desired.value, since: now, deadline: now + timeout };
      this.armTimer(id, name, timeout);
      this.book!.touch(id, name);
      delta = true;
    }
    if (delta) this.publishDelta(twin);
  }

  private onMembershipGet(eventId: string): void {
    const devices = [...(this.book?.twins.keys() ?? [])].map((id) => ({
      ...this.memberOf(id),
      twin: this.msgTwins(this.book!.twins.get(id)!),
    }));
    this.publish(edgeTopics.membershipGetResult(this.deps.node), {
      event_id: eventId,
      timestamp: this.deps.clock.now(),
      devices,
    });
  }

  // ---- views and messages ------------------------------------------------------------------

  view(deviceId: string): TwinView | undefined {
    const twin = this.book?.twins.get(deviceId);
    if (!twin) return undefined;
    const properties: TwinView['properties'] = {};
    for (const name of twin.props.keys()) {
      const rec = twin.records.get(name);
      const p: TwinView['properties'][string] = {};
      if (rec?.desired) p.desired = { value: rec.desired.value, ts: rec.desired.ts, version: rec.desired.version };
      if (rec?.reported) p.reported = { ...rec.reported };
      if (rec?.pending) p.pending = true;
      if (rec?.failed) p.failed = { reason: rec.failed.reason, ts: rec.failed.ts };
      properties[name] = p;
    }
    for (const [name, rec] of twin.records) {
      if (twin.props.has(name) || !liveOptional(rec)) continue;
      properties[name] = {
        optional: true,
        ...(rec.desired
          ? { desired: { value: rec.desired.value, ts: rec.desired.ts, version: rec.desired.version } }
          : {}),
        ...(rec.reported ? { reported: { ...rec.reported } } : {}),
      };
    }
    return {
      id: deviceId,
      state: twin.state.state,
      ...(twin.state.reason ? { reason: twin.state.reason } : {}),
      ...(twin.state.ts ? { stateTs: twin.state.ts } : {}),
      properties,
    };
  }

  /**
   * KubeEdge's delta (dttype BuildDeviceTwinDelta): every twin whose desired value the device does
   * not report: waiting for confirmation, failed (timed out) or drifted since, and optional twins
   * whose expected differs from their actual. Nothing is sent while there is none.
   */
  private publishDelta(twin: DeviceTwin): void {
    const delta: Record<string, string> = {};
    for (const [name, rec] of twin.records) {
      const prop = twin.props.get(name);
      if (rec.pending) delta[name] = rec.pending.value;
      else if (!rec.desired || rec.desired.value === '') continue;
      else if (!prop) {
        if (liveOptional(rec) && rec.desired.value !== rec.reported?.value) delta[name] = rec.desired.value;
      } else if (
        !rec.reported ||
        rec.reported.quality === 'bad' ||
        !confirms(prop.type, rec.desired.value, rec.reported.value)
      )
        delta[name] = rec.desired.value;
    }
    if (Object.keys(delta).length === 0) return;
    const id = twin.device.instance.id;
    this.publish(edgeTopics.twinUpdateDelta(id), {
      ...eventBase(this.deps.clock.now()),
      twin: this.msgTwins(twin),
      delta,
    });
  }

  private msgTwins(twin: DeviceTwin): Record<string, ReturnType<typeof msgTwin>> {
    const out: Record<string, ReturnType<typeof msgTwin>> = {};
    for (const [name, prop] of twin.props) out[name] = msgTwin(prop, twin.records.get(name));
    for (const [name, rec] of twin.records)
      if (!twin.props.has(name) && liveOptional(rec)) out[name] = optionalMsgTwin(rec);
    return out;
  }

  private memberOf(id: string): { id: string; name: string; state: string } {
    const twin = this.book?.twins.get(id);
    return { id, name: twin?.device.instance.name ?? id, state: twin?.state.state ?? 'unknown' };
  }

  private record(twin: DeviceTwin, name: string): TwinRecord {
    let rec = twin.records.get(name);
    if (!rec) twin.records.set(name, (rec = { cloudVersion: 0, edgeVersion: 0 }));
    return rec;
  }

  private publish(topic: string, payload: unknown | (() => unknown)): void {
    this.deps.bus.publish('mqtt.publish', { topic, payload });
  }
}

type TwinDeviceState = DeviceTwin['state'];

/**
 * KubeEdge's optimistic concurrency for desired values: an update that carries the
 * `expected_version` it read is refused when either side has changed the desired value since
 * (cloud or edge version newer), so two applications cannot overwrite each other unseen. An
 * update without `expected_version` is applied as before.
 */
function staleVersion(
  name: string,
  sent: { cloud: number; edge: number } | undefined,
  rec: TwinRecord | undefined,
): string | undefined {
  if (!sent) return undefined;
  const have = { cloud: rec?.cloudVersion ?? 0, edge: rec?.edgeVersion ?? 0 };
  if (sent.cloud >= have.cloud && sent.edge >= have.edge) return undefined;
  return `twin.${name}.expected_version {cloud: ${sent.cloud}, edge: ${sent.edge}} is older than the twin's {cloud: ${have.cloud}, edge: ${have.edge}}: the desired value changed since it was read; read the twin again (twin/get) and retry`;
}

/** Go's time.RFC3339 of the UTC time, as dtmanager/device.go writes lastOnline ("2026-12-08T04:40:00Z"). */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `expected` alone asks for a desired value (an edge application). With `actual` beside it, it is a
 * mapper's report of the desired value it holds (mapper-framework pkg/common/event.go, KubeEdge's
 * DMI bridge): never a new desired value; the `actual` value confirms a pending one it matches.
 */
function isDesiredRequest(t: NonNullable<TwinUpdate['twin'][string]>): boolean {
  return t.expected !== undefined && t.expected !== null && (t.actual === undefined || t.actual === null);
}
