import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  edgeFilters,
  edgeTopics,
  MapperDeviceSetSchema,
  type MapperDeviceSet,
  type MapperStatus,
} from '../../src/contracts/index.js';
import type { Clock } from '../../src/core/clock/index.js';
import type { MapperConfig } from '../../src/core/config/index.js';
import { errorText } from '../../src/core/errors/index.js';
import { gauge } from '../../src/core/metrics/index.js';
import { jsonChecker } from '../../src/core/schema/index.js';
import type { Module } from '../../src/core/module/index.js';
import { BadPayloads } from './bad-payloads.js';
import { DesiredWriter } from './desired.js';
import type { DriverContext } from './driver.js';
import type { DriverLoader, DriverRegistry } from './driver-registry.js';
import { mapperErrors } from './errors.js';
import { connectMqtt, type MapperMqtt } from './mqtt-connect.js';
import { spill, unspill, type HeldMessage } from './offline-buffer.js';
import { PushPanel } from './push/index.js';
import { ProtocolHost } from './protocol-host.js';
import { DevicePublisher } from './publisher.js';

export interface MapperRuntimeOptions {
  /** Mapper name: its status topic and MQTT client id. */
  name: string;
  node: string;
  protocols: string[];
  mqttUrl: string;
  /** Driver state lives in `<dataDir>/<protocol>`. */
  dataDir: string;
  logger: Logger;
  clock: Clock;
  metrics: Registry;
  /** Serves /metrics on 127.0.0.1 when set (0 = any free port). */
  metricsPort?: number;
  /**
   * Publishes the metrics (Prometheus text) on `$ke/mapper-metrics/<name>` this often, for the
   * edge's /metrics to federate (0 or unset: never).
   */
  metricsPushMs?: number;
  /** How long start() waits for the broker (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect period of the MQTT client (default 1000 ms). */
  reconnectPeriodMs?: number;
  /** Protocol -> its driver's loader (mappers/drivers.ts; tests hand in drivers with test timings). */
  drivers: DriverRegistry;
  /**
   * While the broker is away: readings held up to `bytes` (oldest dropped beyond), polling stopped
   * after `offlinePollMs` (config `mapper.bufferBytes`, `mapper.offlinePollMs`).
   */
  buffer: { bytes: number; offlinePollMs: number };
}

/** Readings still held when the mapper stops, for its next run (in its data dir). */
export const HELD_FILE = 'held-readings.txt';

/** `buffer` from the mapper section of the configuration. */
export function mapperBuffer(c: Pick<MapperConfig, 'bufferBytes' | 'offlinePollMs'>) {
  return { bytes: c.bufferBytes, offlinePollMs: c.offlinePollMs };
}

const checkSet = jsonChecker(MapperDeviceSetSchema);

/**
 * The mapper process around its drivers: MQTT in (device sets per protocol, twin deltas), MQTT out
 * (readings, states, write results, liveness with a last will). Converges to the retained device
 * set whatever the start order; mqtt.js reconnects, and every (re)connect subscribes again so the
 * broker re-delivers the retained sets.
 */
export class MapperRuntime implements Module {
  readonly group = 'mapper';
  private client: MapperMqtt | undefined;
  private hosts = new Map<string, ProtocolHost>();
  private publisher: DevicePublisher | undefined;
  private desired: DesiredWriter | undefined;
  /** pushMethod: readings also pushed where the Devices say (mqtt, http). */
  private push: PushPanel | undefined;
  private bad: BadPayloads | undefined;
  private metricsServer: { port: number; close(): Promise<void> } | undefined;
  private pushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MapperRuntimeOptions) {}

  get name(): string {
    return `mapper ${this.options.name}`;
  }

  /** Port of the /metrics server, when one runs. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** Refused MQTT payloads so far. */
  get badPayloadCount(): number {
    return this.bad?.count ?? 0;
  }

  get readingsPublished(): number {
    return this.publisher?.readingsPublished ?? 0;
  }

  /** Readings held while the broker is away (mapper.bufferBytes). */
  get heldReadings(): number {
    return this.publisher?.heldReadings ?? 0;
  }

  async start(): Promise<void> {
    const o = this.options;
    const loaders = o.protocols.map((p): [string, DriverLoader] => [p.toLowerCase(), o.drivers(p)]);
    this.bad = new BadPayloads(o.metrics, o.logger);
    this.publisher = new DevicePublisher(() => this.client, o.metrics, o.logger, o.buffer.bytes);
    this.push = new PushPanel({ clock: o.clock, logger: o.logger, metrics: o.metrics, clientId: o.name });
    this.restoreHeld();
    for (const [protocol, load] of loaders) this.hosts.set(protocol, this.host(protocol, load));
    this.desired = new DesiredWriter((id) => this.lookup(id), this.publisher, this.bad, o.logger, o.metrics);
    this.registerGauges();
    if (o.metricsPort !== undefined) {
      // Loaded only when asked for: node:http is about 1 MB of a mapper's RSS.
      const { serveMetrics } = await import('./metrics-server.js');
      this.metricsServer = await serveMetrics(o.metrics, o.metricsPort);
    }
    try {
      await this.connect();
    } catch (err) {
      await this.stop();
      throw err;
    }
    if (o.metricsPushMs) {
      this.pushTimer = setInterval(() => void this.pushMetrics(), o.metricsPushMs);
      this.pushTimer.unref();
    }
  }

  /** One push of the metrics page, QoS 0: a lost one is replaced by the next. */
  private async pushMetrics(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    try {
      const text = await this.options.metrics.metrics();
      client.publish(edgeTopics.mapperMetrics(this.options.name), Buffer.from(text), { qos: 0, retain: false }, ignore);
    } catch (err) {
      this.options.logger.warn({ err: errorText(err) }, 'metrics not pushed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pushTimer);
    this.pushTimer = undefined;
    const client = this.client;
    client?.removeAllListeners('message');
    clearTimeout(this.pauseTimer);
    await this.desired?.drain();
    for (const host of this.hosts.values()) await host.stop();
    this.hosts.clear();
    await this.push?.stop();
    this.push = undefined;
    this.publisher?.stop();
    this.spillHeld(client);
    if (client) {
      if (client.connected) await this.publishOffline(client);
      await client.end().catch(() => undefined);
    }
    this.client = undefined;
    await this.metricsServer?.close();
    this.metricsServer = undefined;
  }

  /**
   * The retained 'offline' status, waited for (its PUBACK) at most OFFLINE_ACK_MS: if the broker
   * goes away meanwhile the message would wait for a reconnect, and stop() must not hang on it
   * (the will says offline then anyway).
   */
  private publishOffline(client: MapperMqtt): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      const timer = setTimeout(resolve, OFFLINE_ACK_MS);
      client.publish(
        edgeTopics.mapperStatus(this.options.name),
        JSON.stringify(this.status('offline')),
        RETAINED,
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });
  }

  private host(protocol: string, load: DriverLoader): ProtocolHost {
    const o = this.options;
    const events = {
      offline: (id: string, reason: string) => this.publisher?.state(id, 'offline', reason),
      removed: (id: string) => {
        this.publisher?.forget(id);
        this.push?.forget(id);
      },
    };
    return new ProtocolHost(protocol, load, () => this.driverContext(protocol), events, o.logger.child({ protocol }));
  }

  private async driverContext(protocol: string): Promise<DriverContext> {
    const o = this.options;
    const dataDir = join(o.dataDir, protocol);
    await mkdir(dataDir, { recursive: true });
    const host = () => this.hosts.get(protocol);
    return {
      logger: o.logger.child({ driver: protocol }),
      clock: o.clock,
      metrics: o.metrics,
      dataDir,
      // A reading that arrives after its device was removed (a poll in flight) is dropped.
      readings: (id, readings) => {
        const held = host()?.device(id);
        if (!held) return;
        this.publisher?.readings(id, readings);
        this.push?.readings(held.device, readings);
      },
      state: (id, state, reason) => {
        if (host()?.device(id)) this.publisher?.state(id, state, reason);
      },
    };
  }

  private lookup(id: string): ReturnType<ProtocolHost['device']> {
    for (const host of this.hosts.values()) {
      const found = host.device(id);
      if (found) return found;
    }
    return undefined;
  }

  private status(state: MapperStatus['state']): MapperStatus {
    let devices = 0;
    for (const host of this.hosts.values()) devices += host.deviceCount;
    return {
      name: this.options.name,
      protocols: [...this.hosts.keys()],
      state,
      pid: process.pid,
      ts: Date.now(),
      devices,
    };
  }

  private async connect(): Promise<void> {
    const o = this.options;
    const client = await connectMqtt(o.mqttUrl, {
      clientId: `kedge-mapper-${o.name}-${process.pid}`,
      reconnectPeriodMs: o.reconnectPeriodMs ?? 1000,
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      will: {
        topic: edgeTopics.mapperStatus(o.name),
        payload: Buffer.from(JSON.stringify(this.status('offline'))),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'MQTT error'));
    client.on('offline', () => {
      o.logger.warn({ url: o.mqttUrl }, 'MQTT broker unreachable; reconnecting (readings are held meanwhile)');
      this.armPause();
    });
    return this.firstConnect(client);
  }

  private pauseTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The broker has been away for `offlinePollMs`: stop polling (every device is taken off its
   * driver) so that the held readings are the oldest ones, not an endless overwrite. The retained
   * device sets the broker delivers after the reconnect bring them back.
   */
  private armPause(): void {
    clearTimeout(this.pauseTimer);
    const ms = this.options.buffer.offlinePollMs;
    this.pauseTimer = setTimeout(() => {
      if (this.client?.connected) return;
      this.options.logger.warn(
        { code: 'KEDGE_MAPPER_PAUSED', offlinePollMs: ms, heldReadings: this.publisher?.heldReadings },
        `the MQTT broker has been away for ${ms} ms (mapper.offlinePollMs): polling stops until it is back`,
      );
      for (const host of this.hosts.values()) void host.suspend();
    }, ms);
    this.pauseTimer.unref?.();
  }

  /** Readings the previous run of this mapper held when it stopped (an orphan stopped by the restarted edge). */
  private restoreHeld(): void {
    const { messages, malformed, droppedReadings } = unspill(join(this.options.dataDir, HELD_FILE));
    if (malformed > 0)
      this.options.logger.warn({ malformed, file: HELD_FILE }, 'lines of the held-readings file could not be read');
    this.publisher?.restore(messages, droppedReadings);
  }

  /** At stop: readings still held, and those sent but never acknowledged, go to the file. */
  private spillHeld(client: MapperMqtt | undefined): void {
    const unacked = client && !client.connected ? (client.unacknowledged?.() ?? []) : [];
    const held = [
      ...unacked.filter((m) => m.topic.endsWith('/data/raw')).map(asHeld),
      ...(this.publisher?.takeHeld() ?? []),
    ];
    if (held.length === 0) return;
    const file = join(this.options.dataDir, HELD_FILE);
    try {
      spill(file, held, this.publisher?.droppedReadings ?? 0);
      this.options.logger.info(
        { messages: held.length, readings: held.reduce((n, m) => n + m.readings, 0), file },
        'readings not yet sent are kept for the next run of this mapper',
      );
    } catch (err) {
      this.options.logger.error(
        { err: errorText(err), file },
        'readings not yet sent could not be kept: they are lost',
      );
    }
  }

  private firstConnect(client: MapperMqtt): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('connect', onConnect);
        reject(
          mapperErrors.create(
            'KEDGE_MAPPER_MQTT_CONNECT',
            `no connection to ${this.options.mqttUrl} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('connect', onConnect);
    });
  }

  private onConnect(client: MapperMqtt): void {
    const o = this.options;
    o.logger.info({ url: o.mqttUrl }, 'connected to the MQTT broker');
    const topics = [...[...this.hosts.keys()].map((p) => edgeTopics.mapperDevices(p)), edgeFilters.twinDelta];
    client.subscribe(topics, 1, (err) => {
      if (err) o.logger.error({ err: errorText(err) }, 'MQTT subscribe failed');
    });
    client.publish(edgeTopics.mapperStatus(o.name), JSON.stringify(this.status('online')), RETAINED, ignore);
    clearTimeout(this.pauseTimer);
    this.publisher?.flushHeld();
    this.publisher?.resendStates();
    if (o.metricsPushMs) void this.pushMetrics();
  }

  private onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic.startsWith('$ke/mappers/')) this.onDeviceSet(topic, payload);
      else this.desired?.onDelta(topic, payload);
    } catch (err) {
      // Handlers validate their input; this guards against our own bugs so a message never kills the mapper.
      this.bad?.record(topic, 'handler-error', topic, errorText(err));
    }
  }

  private onDeviceSet(topic: string, payload: Buffer): void {
    const host = [...this.hosts.values()].find((h) => edgeTopics.mapperDevices(h.protocol) === topic);
    if (!host) return;
    if (payload.length === 0) return; // a cleared retained message: nothing to apply
    const checked = checkSet(payload);
    if (!checked.ok) {
      this.bad?.record(topic, 'bad-device-set', topic, `device set: ${checked.reason}`);
      return;
    }
    const set = checked.value as MapperDeviceSet;
    if (set.protocol.toLowerCase() !== host.protocol || set.node !== this.options.node) {
      this.bad?.record(
        topic,
        'wrong-device-set',
        topic,
        `device set for node ${set.node} protocol ${set.protocol}, this mapper serves node ${this.options.node} protocol ${host.protocol}`,
      );
      return;
    }
    void host.offer(set).then(() => this.publishStatus());
  }

  private publishStatus(): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(edgeTopics.mapperStatus(this.options.name), JSON.stringify(this.status('online')), RETAINED, ignore);
  }

  private registerGauges(): void {
    const hosts = () => this.hosts;
    gauge(this.options.metrics, {
      name: 'kedge_mapper_devices',
      help: 'Devices the mapper serves, by protocol',
      labelNames: ['protocol'],
      collect() {
        for (const [protocol, host] of hosts()) this.set({ protocol }, host.deviceCount);
      },
    });
  }
}

const RETAINED = { qos: 1, retain: true } as const;

/** A data/raw (a poll's readings) sent but not acknowledged, with the readings it carries (from its JSON). */
function asHeld(m: { topic: string; payload: Buffer }): HeldMessage {
  let readings = 0;
  try {
    readings = (JSON.parse(m.payload.toString('utf8')) as { readings?: unknown[] }).readings?.length ?? 0;
  } catch {
    // counted as none
  }
  return { topic: m.topic, payload: m.payload, readings };
}
const OFFLINE_ACK_MS = 2000;
const ignore = (): void => undefined;
