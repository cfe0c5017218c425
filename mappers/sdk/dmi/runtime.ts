import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  type Dmi,
  type PbDevice,
  type PbDeviceModel,
  type PbMapperRegisterResponse,
  KUBEEDGE_DMI_SOCKET,
  loadDmi,
  unixTarget,
} from '../../../src/contracts/dmi/index.js';
import { edgeTopics } from '../../../src/contracts/index.js';
import type { Clock } from '../../../src/core/clock/index.js';
import type { Module } from '../../../src/core/module/index.js';
import { BadPayloads } from '../bad-payloads.js';
import { DesiredWriter } from '../desired.js';
import type { DriverContext } from '../driver.js';
import type { DriverLoader, DriverRegistry } from '../driver-registry.js';
import { mapperErrors } from '../errors.js';
import { PushPanel } from '../push/index.js';
import { ProtocolHost } from '../protocol-host.js';
import { DmiDevices } from './devices.js';
import { DmiPublisher } from './publisher.js';
import { notFound, serveDeviceMapper, type DmiMapperHost } from './server.js';

export interface DmiMapperOptions {
  name: string;
  node: string;
  protocols: string[];
  /** The edge's DMI socket (KubeEdge: /etc/kubeedge/dmi.sock). */
  edgeSocket?: string;
  /** This mapper's own socket, registered as its address (default <dataDir>/<name>.sock). */
  socket?: string;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  metrics: Registry;
  /** How long start() waits for the edge to answer MapperRegister (default 10 s). */
  registerTimeoutMs?: number;
  /** Protocol -> its driver's loader (mappers/drivers.ts; tests hand in drivers with test timings). */
  drivers: DriverRegistry;
}

/**
 * kedge's protocol drivers as a KubeEdge DMI mapper (`kedge mapper --dmi`): serves
 * DeviceMapperService on its own unix socket, registers each protocol with the edge
 * (MapperRegister with data, like a mapper-framework mapper; start() fails when the edge does not
 * answer), runs the devices it is given and reports readings and states through
 * DeviceManagerService. Desired values arrive in UpdateDevice; those the edge marks pending are
 * written and read back, and the written value is reported as the observed desired value.
 */
export class DmiMapperRuntime implements Module, DmiMapperHost {
  readonly group = 'mapper';
  private dmi: Dmi | undefined;
  private server: Grpc.Server | undefined;
  private client: Grpc.Client | undefined;
  private publisher: DmiPublisher | undefined;
  private desired: DesiredWriter | undefined;
  /** pushMethod: readings also pushed where the Devices say (mqtt, http). */
  private push: PushPanel | undefined;
  private readonly hosts = new Map<string, ProtocolHost>();
  private readonly registry = new DmiDevices();
  private version = 0;

  constructor(private readonly options: DmiMapperOptions) {}

  get name(): string {
    return `dmi mapper ${this.options.name}`;
  }

  get socket(): string {
    return this.options.socket ?? join(this.options.dataDir, `${this.options.name}.sock`);
  }

  get edgeSocket(): string {
    return this.options.edgeSocket ?? KUBEEDGE_DMI_SOCKET;
  }

  async start(): Promise<void> {
    const o = this.options;
    const dmi = (this.dmi = await loadDmi());
    await mkdir(dirname(this.socket), { recursive: true });
    await rm(this.socket, { force: true });
    const server = new dmi.grpc.Server();
    serveDeviceMapper(dmi, server, this);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(unixTarget(this.socket), dmi.grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.server = server;
    const client = new dmi.manager(unixTarget(this.edgeSocket), dmi.grpc.credentials.createInsecure());
    this.client = client;
    const publisher = new DmiPublisher(dmi.grpc, client, (id, p) => this.typeOf(id, p), o.metrics);
    this.publisher = publisher;
    this.push = new PushPanel({ clock: o.clock, logger: o.logger, metrics: o.metrics, clientId: o.name });
    const bad = new BadPayloads(o.metrics, o.logger);
    for (const protocol of o.protocols.map((p) => p.toLowerCase())) {
      this.hosts.set(protocol, this.host(protocol, o.drivers(protocol)));
    }
    this.desired = new DesiredWriter((id) => this.lookup(id), publisher, bad, o.logger, o.metrics);
    try {
      for (const protocol of this.hosts.keys()) {
        const answer = await this.register(protocol);
        for (const m of answer.modelList) this.registry.setModel(m);
        for (const d of answer.deviceList) this.registry.setDevice(d);
        o.logger.info(
          { protocol, devices: answer.deviceList.length, edge: this.edgeSocket },
          'registered with the edge over DMI',
        );
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    await this.apply();
  }

  async stop(): Promise<void> {
    await this.desired?.drain();
    for (const host of this.hosts.values()) await host.stop();
    this.hosts.clear();
    await this.push?.stop();
    this.push = undefined;
    this.client?.close();
    this.client = undefined;
    this.server?.forceShutdown();
    this.server = undefined;
    await rm(this.socket, { force: true });
  }

  // ---- DeviceMapperService --------------------------------------------------------------------

  async registerDevice(device: PbDevice): Promise<void> {
    if (!this.registry.hasModelOf(device))
      throw notFound(`deviceModel ${device.spec?.deviceModelReference} in ${device.namespace} namespace not found`);
    this.registry.setDevice(device);
    await this.apply();
  }

  async updateDevice(device: PbDevice): Promise<void> {
    await this.registerDevice(device);
  }

  async removeDevice(namespace: string, name: string): Promise<void> {
    this.publisher?.forget(this.registry.removeDevice(namespace, name));
    await this.apply();
  }

  setModel(model: PbDeviceModel): void {
    this.registry.setModel(model);
  }

  removeModel(namespace: string, name: string): void {
    this.registry.removeModel(namespace, name);
  }

  getDevice(namespace: string, name: string): PbDevice | undefined {
    const device = this.registry.get(namespace, name);
    if (!device) return undefined;
    return {
      ...device,
      status: {
        twins: this.publisher?.twins(`${namespace || 'default'}/${name}`) ?? [],
        reportToCloud: false,
        reportCycle: 0,
      },
    };
  }

  // ---- internals -------------------------------------------------------------------------------

  private register(protocol: string): Promise<PbMapperRegisterResponse> {
    const o = this.options;
    const timeoutMs = o.registerTimeoutMs ?? 10_000;
    const request = {
      withData: true,
      mapper: {
        name: o.name,
        version: 'kedge',
        api_version: 'v1beta1',
        protocol,
        address: Buffer.from(this.socket),
        state: 'ok',
      },
    };
    const fn = (this.client as unknown as Record<string, Function>)['MapperRegister']!.bind(this.client);
    return new Promise((resolve, reject) =>
      fn(
        request,
        { deadline: Date.now() + timeoutMs },
        (err: Grpc.ServiceError | null, answer: PbMapperRegisterResponse) =>
          err
            ? reject(
                mapperErrors.create(
                  'KEDGE_MAPPER_DMI_REGISTER',
                  `MapperRegister for ${protocol} at ${this.edgeSocket} failed: ${err.details || err.message}`,
                ),
              )
            : resolve(answer),
      ),
    );
  }

  /** Moves every protocol's driver to the devices it now has, then writes the desired values the edge waits for. */
  private async apply(): Promise<void> {
    const version = ++this.version;
    for (const [protocol, host] of this.hosts) {
      const { devices, problems } = this.registry.resolve(protocol);
      for (const p of problems) this.publisher?.state(p.id, 'offline', `cannot serve ${p.id}: ${p.reason}`);
      await host.offer({ node: this.options.node, protocol, version, devices });
    }
    const publisher = this.publisher!;
    const wanted = this.registry.wanted((id, property, value) => publisher.observe(id, property, value));
    const byDevice = new Map<string, Record<string, string>>();
    for (const w of wanted) byDevice.set(w.deviceId, { ...byDevice.get(w.deviceId), [w.property]: w.value });
    for (const [deviceId, delta] of byDevice) {
      // The writer's input is a twin delta: the same path (queue, read-back, result) as over MQTT.
      const payload = { event_id: '', timestamp: this.options.clock.now(), twin: {}, delta };
      this.desired?.onDelta(edgeTopics.twinUpdateDelta(deviceId), Buffer.from(JSON.stringify(payload)));
    }
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

  private typeOf(deviceId: string, property: string): string | undefined {
    return this.lookup(deviceId)
      ?.device.properties.find((p) => p.name === property)
      ?.type.toLowerCase();
  }
}
