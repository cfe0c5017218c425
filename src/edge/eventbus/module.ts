import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  edgeTopics,
  type CleansedPropertyReading,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
  type DataCleansed,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { RawReading } from '../../model/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import type { BrokerLimits } from './broker-guard.js';
import type { WriteBatcher } from '../store/index.js';
import { deviceData } from './device-data.js';
import { EmbeddedBrokerLink } from './embedded-link.js';
import { Ingress, OWN_EVENT_PREFIX } from './ingress.js';
import { BrokerAccess, type BrokerAccessConfig } from './broker-access.js';
import type { BrokerLink } from './link.js';
import { containerOf, peerProcess, type PeerSocket } from './peer-process.js';

export interface EventBusDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  batcher: WriteBatcher;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  node: string;
  /** Embedded broker port on 127.0.0.1 (0 = any free port). */
  mqttPort: number;
  /** External broker instead of the embedded one. */
  mqttUrl?: string;
  /**
   * Republish kedge mappers' raw readings on KubeEdge's `data/update` in its DeviceData shape
   * (with the embedded broker it costs nothing while nobody subscribes).
   */
  republishDataUpdate: boolean;
  /** The embedded broker's accounts, ACLs and anonymous policy (broker-access.ts); default: open to all. */
  access?: BrokerAccessConfig;
  /** The embedded broker's limits for its clients (`edge.mqtt`). */
  limits: BrokerLimits;
}

const endpoint = { name: 'eventbus', group: 'bus' };

/** The MQTT side of the node: KubeEdge's topics <-> typed bus events. */
export class EventBus implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private link: BrokerLink | undefined;
  private ingress: Ingress | undefined;
  private undo: Array<() => void> = [];
  /** Per device, each property's type as KubeEdge's DeviceData names it (lower case). */
  private types = new Map<string, Map<string, string>>();
  private published = 0;

  constructor(private readonly deps: EventBusDeps) {}

  /** Where mappers connect; valid after start(). */
  get url(): string {
    return this.link?.url ?? '';
  }

  get rejectedCounts(): ReadonlyMap<string, number> {
    return this.ingress?.rejected.totals ?? new Map();
  }

  async start(): Promise<void> {
    const { bus, batcher, logger } = this.deps;
    const external = this.deps.mqttUrl !== undefined;
    // With an external broker the sender waits for our PUBACK: commit on the next tick, not after the interval.
    this.ingress ??= new Ingress({ ...this.deps, durable: () => batcher.durable(external) });
    const ingress = this.ingress;
    const devices = (list: EdgeDevice[]) => {
      ingress.setDevices(list);
      this.types = new Map(
        list.map((d) => [d.instance.id, new Map(d.instance.properties.map((p) => [p.name, p.type.toLowerCase()]))]),
      );
    };
    devices(await bus.request('meta.devices', {}));
    this.undo = [
      bus.subscribe('devices.changed', endpoint, (e) => devices(e.devices)),
      bus.subscribe('mqtt.publish', endpoint, (e) => this.publish(e.topic, e.payload, e.retain ?? false, e.qos ?? 0)),
      bus.subscribe('device.cleansed', endpoint, (e) => this.publishCleansed(e.deviceId, e.readings)),
    ];
    if (this.deps.republishDataUpdate)
      this.undo.push(
        bus.subscribe('device.readings', endpoint, (e) => {
          // Only kedge mappers' readings: a third-party mapper's are on data/update already.
          if (e.source === 'mapper') this.publishDeviceData(e.deviceId, e.readings);
        }),
      );
    // mqtt.js costs ~20 MB of RSS: loaded only when an external broker is used.
    const link: BrokerLink = external
      ? new (await import('./external-link.js')).ExternalBrokerLink({
          url: this.deps.mqttUrl!,
          clientId: `kedge-edge-${this.deps.node}`,
          logger,
        })
      : new EmbeddedBrokerLink({
          port: this.deps.mqttPort,
          logger,
          limits: this.deps.limits,
          ...(this.deps.access ? { access: this.brokerAccess(this.deps.access) } : {}),
        });
    try {
      await link.start((topic, payload) => ingress.handle(topic, payload));
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
    this.link = link;
    logger.info({ url: link.url, external }, 'eventbus ready');
  }

  private access: BrokerAccess | undefined;

  /** One per module (its refusal counter is registered once), whatever the number of restarts. */
  private brokerAccess(c: BrokerAccessConfig): BrokerAccess {
    const { bus, logger } = this.deps;
    this.access ??= new BrokerAccess(
      c.users,
      c.anonymous,
      this.deps.registry,
      (msg, detail) => logger.warn(detail, msg),
      (socket) => workloadOf(bus, socket),
      (msg, detail) => logger.info(detail, msg),
    );
    return this.access;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    const link = this.link;
    this.link = undefined;
    await link?.stop();
  }

  private unsubscribe(): void {
    for (const fn of this.undo) fn();
    this.undo = [];
  }

  private publish(topic: string, payload: unknown, retain: boolean, qos: 0 | 1): void {
    const link = this.link;
    if (!link) return;
    if (typeof payload === 'function') {
      if (!link.wants(topic)) return;
      payload = (payload as () => unknown)();
    }
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    link.publish(topic, body, { retain, qos });
  }

  /** A kedge mapper's raw readings as KubeEdge's DeviceData on data/update, for consumers written for KubeEdge. */
  private publishDeviceData(deviceId: string, readings: RawReading[]): void {
    const topic = edgeTopics.dataUpdate(deviceId);
    if (this.link && !this.link.wants(topic)) return;
    const types = this.types.get(deviceId);
    if (!types) return;
    const eventId = `${OWN_EVENT_PREFIX}${++this.published}`;
    const payload = deviceData((p) => types.get(p), readings, eventId, this.deps.clock.now());
    if (payload) this.publish(topic, payload, false, 0);
  }

  private publishCleansed(deviceId: string, readings: CleansedPropertyReading[]): void {
    const topic = edgeTopics.dataCleansed(deviceId);
    if (this.link && !this.link.wants(topic)) return;
    const out = readings.map((r) => ({
      property: r.property,
      value: r.value,
      quality: r.quality,
      ts: r.ts,
      ...(r.unit ? { unit: r.unit } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    }));
    this.publish(topic, { timestamp: this.deps.clock.now(), readings: out } satisfies DataCleansed, false, 0);
  }
}

/**
 * The workload Edged runs at the other end of a broker connection, if any: asked only while Edged
 * runs containers, then found through /proc (peer-process.ts).
 */
async function workloadOf(bus: Bus<EdgeChannels, EdgeRequests>, socket: PeerSocket): Promise<string | undefined> {
  const containers = await bus.request('edged.containers', {});
  if (containers.length === 0) return undefined;
  const peer = await peerProcess(socket);
  const id =
    peer &&
    containerOf(
      peer.cgroup,
      containers.map((c) => c.id),
    );
  return containers.find((c) => c.id === id)?.workload;
}
