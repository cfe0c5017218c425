import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import {
  checkLinkContent,
  checkTelemetryColumns,
  cloudTopics,
  LinkResource,
  type AckContent,
  type TwinView,
  type UpstreamMessage,
  type DeviceStatusPayload,
  type TwinPayload,
} from '../../contracts/index.js';
import type { ControllerDeps } from '../controller-deps.js';
import type { Endpoint } from '../../core/bus/index.js';
import { systemClock, type Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { gauge } from '../../core/metrics/index.js';
import type { Module } from '../../core/module/index.js';
import { twinValuesMatch, type Device } from '../../model/index.js';
import { LocalPresence, type NodePresence } from '../presence/index.js';
import type { StoredObject, WatchEvent, WatchHandle } from '../store/index.js';
import { WriteCoalescer } from './coalescer.js';
import { writeDesired } from './desired.js';
import { notOwnedReason, unauthorizedCounter } from './ownership.js';
import { DeviceIndex } from './device-index.js';
import { deviceControllerErrors } from './errors.js';
import { planSync, wantedFor } from './node-sync.js';
import { NodeObjects, nodeOf } from '../objectsync/index.js';
import { telemetryPayload } from './telemetry-payload.js';
import { StatusWriter } from './status-writer.js';
import { DeviceTwinState } from './twin-state.js';
import { Waiters } from '../../core/async/index.js';

const OWN_TYPES = new Set<string>([LinkResource.device, LinkResource.deviceModel, LinkResource.deviceTwin]);

export interface DeviceControllerOptions extends ControllerDeps {
  /** At most one Device status write per device per this interval (config cloud.statusIntervalMs). */
  statusIntervalMs: number;
}

/**
 * Devices between store and nodes: sends each node its devices, their models and desired values
 * (watching the store), takes twin reports, device state and telemetry from the edge, publishes
 * them for consumers, and writes Device status coalesced per device.
 */
export class DeviceController implements Module {
  readonly name = 'devicecontroller';
  readonly group = 'devicecontroller';
  private readonly endpoint: Endpoint = { name: this.name, group: this.group };
  private readonly log: Logger;
  private readonly clock: Clock;
  private index = new DeviceIndex();
  private readonly twins = new Map<string, DeviceTwinState>();
  private readonly desiredSetAt = new Map<string, Map<string, number>>();
  /** Nodes whose connection this replica holds (only those are sent objects), and what each was sent. */
  private readonly nodeObjects: NodeObjects;
  private readonly presence: NodePresence;
  private readonly waiters: Waiters;
  /**
   * Nodes not connected to this cloud, with why: their devices are `unknown` (the edge's last
   * word on them may no longer hold). CloudHub starts after this module, so every node begins here.
   */
  private readonly nodesDown = new Map<string, string>();
  private coalescer: WriteCoalescer | undefined;
  private statusWriter: StatusWriter | undefined;
  /** Stored status per device as read at start: where a twin starts from after a restart. */
  private storedStatus = new Map<string, unknown>();
  private watches: WatchHandle[] = [];
  private undo: Array<() => void> = [];
  private metrics:
    | { statusWrites: Counter; rejected: Counter; telemetry: Counter; unauthorized: Counter<'resource'> }
    | undefined;

  constructor(private readonly options: DeviceControllerOptions) {
    this.log = options.logger.child({ module: this.name });
    this.clock = options.clock ?? systemClock;
    this.waiters = new Waiters(this.clock);
    this.presence = options.presence ?? new LocalPresence();
    this.nodeObjects = new NodeObjects({
      linkState: options.linkState,
      owns: (key) => OWN_TYPES.has(key.slice(0, key.indexOf('/'))),
      sync: (node, sent) => this.syncNode(node, sent),
      failed: (node, err) =>
        this.log.warn({ node, err: errorText(err) }, 'objects not sent to the node; sent when it connects again'),
    });
  }

  async start(): Promise<void> {
    const { store, bus, registry } = this.options;
    this.metrics ??= {
      statusWrites: new Counter({
        name: 'kedge_devicecontroller_status_writes_total',
        help: 'Device status writes (coalesced per device)',
        registers: [registry],
      }),
      rejected: new Counter({
        name: 'kedge_devicecontroller_rejected_total',
        help: 'Edge messages refused (bad content, unknown device)',
        labelNames: ['resource'],
        registers: [registry],
      }),
      telemetry: new Counter({
        name: 'kedge_devicecontroller_readings_total',
        help: 'Readings published to cloud MQTT',
        registers: [registry],
      }),
      unauthorized: unauthorizedCounter(registry),
    };
    this.index = new DeviceIndex();
    this.registerStateGauge();
    this.coalescer = new WriteCoalescer(
      this.clock,
      this.options.statusIntervalMs,
      (key) => this.writeStatus(key),
      (key, err) => this.log.warn({ device: key, err: errorText(err) }, 'device status write failed; retrying'),
    );
    this.statusWriter = new StatusWriter(store, store.serves('DeviceStatus'));
    this.storedStatus = new Map();
    const statuses = this.statusWriter.useDeviceStatus ? (await store.list('DeviceStatus')).items : [];
    for (const s of statuses)
      this.storedStatus.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s.status);
    if (!this.statusWriter.useDeviceStatus)
      this.log.info('the store has no DeviceStatus (CRDs before KubeEdge v1.23): twins go to Device status');
    const models = await store.list('DeviceModel');
    const devices = await store.list('Device');
    this.statusWriter.seed(statuses, devices.items);
    for (const m of models.items) this.index.applyModel({ type: 'ADDED', object: m });
    for (const d of devices.items) this.index.applyDevice({ type: 'ADDED', object: d });
    this.watches.push(await store.watch('DeviceModel', models.resourceVersion, (e) => this.onModel(e)));
    this.watches.push(await store.watch('Device', devices.resourceVersion, (e) => this.onDevice(e)));
    const serve = <K extends 'upstream.telemetrycolumns' | 'upstream.devicetwin' | 'upstream.devicestate'>(
      name: K,
      fn: (req: UpstreamMessage) => Promise<AckContent>,
    ) => this.undo.push(bus.serve(name, this.endpoint, fn));
    serve('upstream.telemetrycolumns', (req) => this.onTelemetryColumns(req));
    serve('upstream.devicetwin', (req) => this.onTwinReport(req));
    serve('upstream.devicestate', (req) => this.onDeviceState(req));
    this.undo.push(bus.serve('twin.view', this.endpoint, (req) => this.view(req.namespace, req.name)));
    this.undo.push(bus.serve('twin.list', this.endpoint, () => this.viewAll()));
    this.undo.push(
      bus.serve('twin.setDesired', this.endpoint, (req) =>
        this.setDesired(req.namespace, req.name, req.properties, req.waitMs),
      ),
    );
    this.undo.push(bus.subscribe('link.connected', this.endpoint, (e) => this.onConnected(e.node)));
    this.undo.push(bus.subscribe('link.disconnected', this.endpoint, (e) => this.onDisconnected(e.node, e.reason)));
    // Nobody is connected to a replica that just started; a node held by another replica is
    // not down (nodeDown asks the presence).
    for (const node of this.index.nodes()) this.nodesDown.set(node, notReady(node, 'the cloud restarted'));
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    await this.nodeObjects.stop();
    for (const w of this.watches.splice(0)) w.stop();
    const coalescer = this.coalescer;
    this.coalescer = undefined;
    this.waiters.releaseAll(); // waiting requests return what they have
    await coalescer?.flush();
  }

  private onDevice(e: WatchEvent): void {
    const key = DeviceIndex.key(e.object);
    if (e.type === 'ADDED') this.statusWriter?.added(e.object);
    if (e.type !== 'MODIFIED') this.options.bus.publish('devices.listChanged', {});
    if (e.type === 'DELETED') {
      this.twins.delete(key);
      this.desiredSetAt.delete(key);
      this.storedStatus.delete(key);
      const [ns, name] = splitKey(key);
      this.statusWriter
        ?.forget(ns, name)
        .catch((err: unknown) =>
          this.log.warn({ device: key, err: errorText(err) }, 'DeviceStatus of a deleted device not deleted'),
        );
    }
    for (const node of this.index.applyDevice(e)) this.nodeObjects.reconcile(node);
  }

  private onModel(e: WatchEvent): void {
    for (const node of this.index.applyModel(e)) this.nodeObjects.reconcile(node);
  }

  /**
   * Sends `node` whatever differs from what it holds or was sent (NodeObjects calls this for the
   * nodes this replica holds; the replica a node connects to reads ObjectSync and sends the rest).
   */
  private syncNode(node: string, sent: Map<string, string>): void {
    const { items, forget } = planSync(node, wantedFor(this.index.devicesOn(node), this.modelsByKey()), sent);
    for (const key of forget) {
      sent.delete(key);
      this.options.linkState
        .removeAcked(node, key)
        .catch((err: unknown) => this.log.debug({ node, key, err: errorText(err) }, 'stale ObjectSync record kept'));
    }
    for (const item of items) {
      if (item.remove) sent.delete(item.key);
      else sent.set(item.key, item.token);
      this.options.bus.publish('link.send', item);
    }
    if (items.length > 0) this.log.debug({ node, count: items.length }, 'objects queued for the node');
  }

  private modelsByKey(): ReadonlyMap<string, StoredObject> {
    return this.index.models;
  }

  /**
   * Every device's state as the cloud sees it (what its node reported; `unknown` while the node is
   * not connected), for `device offline` in deploy/prometheus: the cloud knows it even when the
   * node's own /metrics cannot be reached.
   */
  private stateGaugeRegistered = false;
  private registerStateGauge(): void {
    if (this.stateGaugeRegistered) return;
    this.stateGaugeRegistered = true;
    const self = this;
    gauge(this.options.registry, {
      name: 'kedge_cloud_device_state',
      help: 'Device state in the cloud: 1 for the current state (online, offline, unhealthy, unknown: also while its node is not connected), else 0',
      labelNames: ['device', 'node', 'state'],
      collect() {
        this.reset();
        for (const [key, d] of self.index.devices) {
          const node = nodeOf(d) ?? '';
          const state = self.nodeObjects.has(node) ? self.twinOf(key, d).state : 'unknown';
          for (const s of DEVICE_STATES) this.set({ device: key, node, state: s }, s === state ? 1 : 0);
        }
      },
    });
  }

  private onConnected(node: string): void {
    this.nodesDown.delete(node);
    this.nodeObjects.connectedNode(node);
    for (const d of this.index.devicesOn(node)) {
      const twin = this.twins.get(DeviceIndex.key(d));
      if (twin) this.publishAvailability(d, twin.state, twin.stateReason);
    }
  }

  private onDisconnected(node: string, reason: string): void {
    const why = notReady(node, reason);
    this.nodesDown.set(node, why);
    this.nodeObjects.disconnectedNode(node);
    void this.presence
      .holderOf(node)
      .catch(() => undefined)
      .then((holder) => {
        // The node is already on another replica, which publishes its devices' state.
        if (holder !== undefined && holder !== this.presence.identity) return;
        for (const d of this.index.devicesOn(node)) this.publishAvailability(d, 'unknown', why);
      });
  }

  /**
   * Why a device is `unknown` because of its node, or undefined while the node is connected here
   * or held by another replica (which publishes its state).
   */
  private async nodeDown(device: StoredObject): Promise<string | undefined> {
    const node = nodeOf(device);
    const why = node === undefined ? undefined : this.nodesDown.get(node);
    if (why === undefined) return undefined;
    const holder = await this.presence.holderOf(node!).catch(() => undefined);
    return holder !== undefined && holder !== this.presence.identity ? undefined : why;
  }

  private publishAvailability(d: StoredObject, state: string, reason: string | undefined): void {
    const ns = d.metadata.namespace ?? 'default';
    const payload: DeviceStatusPayload = {
      namespace: ns,
      device: d.metadata.name,
      node: nodeOf(d) ?? null,
      state,
      ...(reason ? { reason } : {}),
      ts: this.clock.now(),
    };
    this.options.bus
      .request('cloudmqtt.publish', {
        topic: cloudTopics.deviceStatus(ns, d.metadata.name),
        payload,
        qos: 1,
        retain: true,
      })
      .catch((err: unknown) =>
        this.log.warn({ device: `${ns}/${d.metadata.name}`, err: errorText(err) }, 'device availability not published'),
      );
  }

  /** Many devices' readings in one message, column-wise (src/contracts/telemetry-columns.ts). */
  private async onTelemetryColumns(req: UpstreamMessage): Promise<AckContent> {
    const checked = checkTelemetryColumns(req.message.content);
    if (!checked.ok) return this.refuse('telemetrycolumns', req, checked.reason);
    const items = checked.value.devices.map((c) => ({
      device: c.device,
      readings: c.p.length,
      payload: (ns: string, name: string) => telemetryPayload(ns, name, req.node, c),
    }));
    const ack = await this.publishBatch(req, 'telemetrycolumns', items);
    // The columns as they came, for the dashboard's live feed while a browser watches (it would
    // otherwise parse the consumer payload again): nothing is built when nobody listens.
    const { bus } = this.options;
    if (bus.hasSubscribers('telemetry.columns'))
      for (const c of checked.value.devices)
        if (this.index.devices.has(c.device)) bus.publish('telemetry.columns', { node: req.node, columns: c });
    return ack;
  }

  /**
   * A batch published per device, in the batch's order. A device the cloud does not know is
   * skipped and counted, not the whole batch refused: the other devices' readings would be lost
   * with it. The payload is built only for devices that are published.
   */
  private async publishBatch(
    req: UpstreamMessage,
    resource: string,
    items: Array<{ device: string; readings: number; payload: (ns: string, name: string) => unknown }>,
  ): Promise<AckContent> {
    const publishes: Array<{ topic: string; payload: unknown }> = [];
    const unknown: string[] = [];
    let readings = 0;
    for (const item of items) {
      const device = this.index.devices.get(item.device);
      if (!device) {
        unknown.push(item.device);
        continue;
      }
      const notOwned = notOwnedReason(device, req.node, item.device);
      if (notOwned) {
        // Only this device's readings go; the rest of the batch is the node's own and is published.
        this.unauthorized(resource, req, item.device, notOwned);
        continue;
      }
      const [ns, name] = splitKey(item.device);
      publishes.push({ topic: cloudTopics.telemetry(ns, name), payload: item.payload(ns, name) });
      readings += item.readings;
    }
    if (unknown.length > 0) {
      this.metrics!.rejected.inc({ resource }, unknown.length);
      this.log.warn(
        {
          node: req.node,
          msgId: req.message.header.msg_id,
          devices: unknown,
          code: 'KEDGE_DEVICECONTROLLER_BAD_CONTENT',
        },
        `telemetry from node ${req.node} for ${unknown.length} device(s) that do not exist in the cloud dropped: ${unknown.slice(0, 5).join(', ')}`,
      );
    }
    if (publishes.length > 0) await this.publishTelemetry(req, publishes);
    this.metrics!.telemetry.inc(readings);
    return { ok: true };
  }

  /**
   * The readings of one edge message on their consumer topics (`kedge/telemetry/<ns>/<device>`),
   * in the message's order, published exactly once for the message (cloudmqtt.publishOnce): the
   * message is claimed (recorded as handled, durably) before the broker can deliver any of them,
   * so a cloud crash at any point after that never publishes them a second time when the edge
   * resends the message (docs/link.md, "Duplicates across a cloud crash").
   */
  private publishTelemetry(req: UpstreamMessage, items: Array<{ topic: string; payload: unknown }>): Promise<void> {
    return this.options.bus.request('cloudmqtt.publishOnce', {
      node: req.node,
      msgId: req.message.header.msg_id,
      items: items.map((it) => ({ ...it, qos: 1 as const })),
      ...(req.claim ? { claim: req.claim } : {}),
    });
  }

  private async onTwinReport(req: UpstreamMessage): Promise<AckContent> {
    const target = this.target(req, 'devicetwin');
    if ('ok' in target) return target;
    const checked = checkLinkContent.twinReport(req.message.content);
    if (!checked.ok) return this.refuse('devicetwin', req, checked.reason);
    const twin = this.twinOf(target.key, target.device);
    twin.applyReport(checked.value);
    const view = twin.view(
      target.device as unknown as Device,
      this.desiredSetAt.get(target.key) ?? new Map(),
      await this.nodeDown(target.device),
    );
    await this.options.bus.request('cloudmqtt.publish', {
      topic: cloudTopics.twin(target.ns, target.name),
      payload: { ...view, node: req.node } satisfies TwinPayload,
      qos: 1,
      retain: true,
    });
    this.coalescer?.mark(target.key);
    this.wake(target.key);
    return { ok: true };
  }

  private async onDeviceState(req: UpstreamMessage): Promise<AckContent> {
    const target = this.target(req, 'devicestate');
    if ('ok' in target) return target;
    const checked = checkLinkContent.deviceState(req.message.content);
    if (!checked.ok) return this.refuse('devicestate', req, checked.reason);
    const twin = this.twinOf(target.key, target.device);
    twin.applyState(checked.value);
    const payload: DeviceStatusPayload = {
      namespace: target.ns,
      device: target.name,
      node: req.node,
      state: checked.value.state,
      ...(checked.value.reason ? { reason: checked.value.reason } : {}),
      ts: checked.value.ts,
    };
    await this.options.bus.request('cloudmqtt.publish', {
      topic: cloudTopics.deviceStatus(target.ns, target.name),
      payload,
      qos: 1,
      retain: true,
    });
    // The edge sends device state only when it changes: stored at once (`kedge get devices`).
    this.coalescer?.mark(target.key, true);
    return { ok: true };
  }

  /** The device a message is about, or the refusal to answer. */
  private target(
    req: UpstreamMessage,
    what: string,
  ): { key: string; ns: string; name: string; device: StoredObject } | AckContent {
    const res = req.resource;
    const key = `${res.namespace}/${res.name}`;
    const device = this.index.devices.get(key);
    if (!device) return this.refuse(what, req, `Device ${key} does not exist in the cloud`);
    const notOwned = notOwnedReason(device, req.node, key);
    if (notOwned) {
      this.unauthorized(what, req, key, notOwned);
      return { ok: false, reason: notOwned };
    }
    return { key, ns: res.namespace, name: res.name, device };
  }

  /** A message (or a batch's part) about a device of another node: logged with node, device and reason, counted. */
  private unauthorized(resource: string, req: UpstreamMessage, device: string, reason: string): void {
    this.metrics!.unauthorized.inc({ resource });
    this.log.warn(
      { node: req.node, device, msgId: req.message.header.msg_id, code: 'KEDGE_DEVICECONTROLLER_NOT_OWNER' },
      `${resource} from node ${req.node} refused: ${reason}`,
    );
  }

  private refuse(what: string, req: UpstreamMessage, reason: string): AckContent {
    this.metrics!.rejected.inc({ resource: what });
    this.log.warn(
      {
        node: req.node,
        msgId: req.message.header.msg_id,
        resource: req.message.route.resource,
        code: 'KEDGE_DEVICECONTROLLER_BAD_CONTENT',
      },
      `${what} from node ${req.node} refused: ${reason}`,
    );
    return { ok: false, reason };
  }

  private twinOf(key: string, device: StoredObject): DeviceTwinState {
    let t = this.twins.get(key);
    if (!t) {
      // A DeviceStatus if there is one; else what the Device's status holds (all of the twin with
      // CRDs before v1.23, or left there by them before an upgrade).
      const stored = this.storedStatus.get(key) ?? device.status;
      this.twins.set(key, (t = DeviceTwinState.fromStatus(stored)));
    }
    return t;
  }

  /** The twin stored, coalesced (DeviceStatus, or Device status with pre-1.23 CRDs). */
  private async writeStatus(key: string): Promise<void> {
    const twin = this.twins.get(key);
    const device = this.index.devices.get(key);
    if (!twin || !device || !this.statusWriter) return; // deleted meanwhile: nothing to write
    const writes = await this.statusWriter.write(device, twin);
    this.metrics!.statusWrites.inc(writes);
  }

  async view(namespace: string, name: string): Promise<TwinView | undefined> {
    const device = await this.options.store.get('Device', namespace, name);
    if (!device) return undefined;
    const key = `${namespace}/${name}`;
    return this.twinOf(key, device).view(
      device as unknown as Device,
      this.desiredSetAt.get(key) ?? new Map(),
      await this.nodeDown(device),
    );
  }

  private viewAll(): TwinView[] {
    return [...this.index.devices].map(([key, d]) =>
      this.twinOf(key, d).view(d as unknown as Device, this.desiredSetAt.get(key) ?? new Map()),
    );
  }

  private async setDesired(
    namespace: string,
    name: string,
    properties: Record<string, string>,
    waitMs?: number,
  ): Promise<TwinView> {
    const key = `${namespace}/${name}`;
    const updated = await writeDesired(this.options.store, namespace, name, properties);
    const at = this.desiredSetAt.get(key) ?? new Map<string, number>();
    for (const prop of Object.keys(properties)) at.set(prop, this.clock.now());
    this.desiredSetAt.set(key, at);
    const twin = this.twinOf(key, updated);
    if (waitMs && waitMs > 0) await this.waitFor(key, waitMs, () => settled(twin, properties));
    const latest = (await this.options.store.get('Device', namespace, name)) ?? updated;
    return twin.view(latest as unknown as Device, at, await this.nodeDown(latest));
  }

  private waitFor(key: string, ms: number, done: () => boolean): Promise<void> {
    return this.waiters.wait(key, ms, done);
  }

  private wake(key: string): void {
    this.waiters.wake(key);
  }
}

const DEVICE_STATES = ['online', 'offline', 'unhealthy', 'unknown'] as const;

/** Every property reported at its desired value, or refused. */
function settled(twin: DeviceTwinState, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([prop, value]) => {
    const p = twin.props.get(prop);
    return (p?.reported !== undefined && twinValuesMatch(p.reported.value, value)) || p?.failed?.value === value;
  });
}

/** The reason a device is `unknown` while its node is away (kedge/status/device, the API, the CLI). */
export function notReady(node: string, why: string): string {
  return `node ${node} is not ready: ${why}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

export { deviceControllerErrors };
