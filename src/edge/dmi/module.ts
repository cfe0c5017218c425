import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  edgeTopics,
  parseDeviceTopic,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
  type DmiDeviceView,
} from '../../contracts/index.js';
import type {
  Dmi,
  PbMapperInfo,
  PbMapperRegisterRequest,
  PbMapperRegisterResponse,
  PbReportDeviceStatesRequest,
  PbReportDeviceStatusRequest,
} from '../../contracts/dmi/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { mergeModelDefaults, namespaceOf, type Device, type DeviceModel } from '../../model/index.js';
import type { MetaStore } from '../store/index.js';
import { dmiErrors } from './errors.js';
import { DmiListener } from './listener.js';
import { twinReadings } from './twins.js';
import type { MapperLink, MapperTarget } from './mapper-link.js';

export interface DmiModuleDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  metaStore: MetaStore;
  clock: Clock;
  logger: Logger;
  /** The unix socket the edge serves DeviceManagerService on. */
  socketPath: string;
  /**
   * The socket was not asked for (the default under the data dir): if it cannot be served, the
   * edge runs without DMI and says why, rather than not starting.
   */
  optional?: boolean;
  /** Loads gRPC and the proto (tests may share one). */
  load?: () => Promise<Dmi>;
}

const endpoint = { name: 'dmi', group: 'twin' };
const STORE_TYPE = 'dmimapper';

/** A registered mapper as kept in the meta table (the address as text). */
interface StoredMapper extends Omit<PbMapperInfo, 'address'> {
  address: string;
}

/**
 * KubeEdge's DMI on the edge (edge/pkg/devicetwin/dmiserver, dmiclient, dmicache): serves
 * DeviceManagerService on a unix socket, keeps the registered mappers (one per protocol) in the
 * meta table, and makes each mapper hold the devices of its protocol (the model's defaults merged
 * in) through its DeviceMapperService, desired values included. Twin reports become twin
 * updates and state reports device states, as KubeEdge's DMI bridge does. After a restart the
 * stored mappers are called again with every device; a mapper that cannot be reached makes its
 * devices offline with the reason and is retried with back-off.
 */
export class DmiModule implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private listener: DmiListener | undefined;
  private dmi: Dmi | undefined;
  private readonly links = new Map<string, MapperLink>();
  private undo: Array<() => void> = [];
  private refreshing: Promise<void> = Promise.resolve();
  private known = new Map<string, EdgeDevice>();
  private readonly warned = new Set<string>();

  constructor(private readonly deps: DmiModuleDeps) {}

  static defaultSocket(dataDir: string): string {
    return join(dataDir, 'dmi.sock');
  }

  async start(): Promise<void> {
    const { bus } = this.deps;
    const load = this.deps.load ?? (async () => (await import('../../contracts/dmi/index.js')).loadDmi());
    const listener = new DmiListener({
      path: this.deps.socketPath,
      logger: this.deps.logger,
      load: async () => (this.dmi = await load()),
      serve: async (dmi, server) => (await import('./server.js')).serveDeviceManager(dmi, server, this),
    });
    try {
      await listener.start();
    } catch (err) {
      if (!this.deps.optional) throw err;
      this.deps.logger.warn(
        { socket: this.deps.socketPath, err: errorText(err) },
        'DMI is off: its default socket cannot be served (set --dmi-socket to a shorter or writable path)',
      );
      this.undo = [
        bus.serve('dmi.served', endpoint, () => ({ protocols: [] })),
        bus.serve('dmi.getDevice', endpoint, () => undefined),
      ];
      return;
    }
    this.listener = listener;
    this.known = new Map((await bus.request('meta.devices', {})).map((d) => [d.instance.id, d]));
    this.undo = [
      bus.subscribe('devices.changed', endpoint, (e) => {
        this.known = new Map(e.devices.map((d) => [d.instance.id, d]));
        this.refresh();
      }),
      // A delta is the twin telling mappers about desired values: DMI mappers get them in an UpdateDevice.
      bus.serve('dmi.served', endpoint, () => ({ protocols: [...this.links.keys()].sort() })),
      bus.serve('dmi.getDevice', endpoint, (req) => this.getDevice(req.deviceId)),
      bus.subscribe('mqtt.publish', endpoint, (e) => {
        if (this.links.size === 0 || !e.topic.endsWith('/twin/update/delta')) return;
        const where = parseDeviceTopic(e.topic);
        if (where && e.topic === edgeTopics.twinUpdateDelta(where.id)) this.refresh();
      }),
    ];
    const stored = this.deps.metaStore.list(STORE_TYPE).map((r) => r.value as StoredMapper);
    if (stored.length > 0) {
      // Mappers registered before this start: call them again with every device (they may have restarted too).
      await listener.warm();
      for (const m of stored) await this.link({ ...m, address: Buffer.from(m.address) });
      this.announceProtocols();
      this.refresh();
    }
    this.deps.logger.info({ socket: this.deps.socketPath, mappers: stored.length }, 'DMI socket ready');
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
    await this.refreshing;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    await this.listener?.stop();
    this.listener = undefined;
  }

  // ---- DeviceManagerService -----------------------------------------------------------------

  async register(request: PbMapperRegisterRequest): Promise<PbMapperRegisterResponse> {
    const info = request.mapper;
    const address = info?.address.toString() ?? '';
    if (!info || info.protocol === '' || address === '') {
      throw dmiErrors.create(
        'KEDGE_DMI_BAD_MAPPER',
        `mapper ${info?.name || '(unnamed)'} registered without ${info?.protocol ? 'an address' : 'a protocol'}`,
      );
    }
    const stored: StoredMapper = { ...info, address };
    this.deps.metaStore.put(STORE_TYPE, info.protocol, stored);
    const link = await this.link(info);
    this.announceProtocols();
    const target = await this.targetFor(info.protocol);
    void link.registered(target, request.withData);
    this.deps.logger.info(
      { mapper: info.name, protocol: info.protocol, address, devices: target.devices.size, withData: request.withData },
      'DMI mapper registered',
    );
    return request.withData
      ? { deviceList: [...target.devices.values()], modelList: [...target.models.values()] }
      : { deviceList: [], modelList: [] };
  }

  /**
   * A mapper's twins: `reported` values enter as readings (through the pipeline into the twin,
   * confirming a pending desired value they match), a write a kedge mapper reports as failed as
   * its write result. KubeEdge's dmiserver turns the same report into a twin/update with
   * `expected` = observedDesired; kedge never takes a desired value from a mapper (docs/kubeedge-compat.md).
   */
  reportStatus(request: PbReportDeviceStatusRequest): void {
    const device = this.device(request.deviceNamespace, request.deviceName);
    const deviceId = device.instance.id;
    const now = this.deps.clock.now();
    const { readings, unknown, failed } = twinReadings(device.instance, request.reportedDevice?.twins ?? [], now);
    for (const name of unknown)
      this.warnOnce(
        `${deviceId}/${name}`,
        { deviceId, property: name },
        'DMI twin for a property the DeviceModel does not declare; ignored',
      );
    if (readings.length > 0) this.deps.bus.publish('device.readings', { deviceId, readings, source: 'mapper' });
    for (const f of failed)
      this.deps.bus.publish('device.writeResult', {
        deviceId,
        result: {
          event_id: '',
          timestamp: now,
          ok: false,
          property: f.property,
          desired: f.desired,
          ...(f.reason !== undefined ? { reason: f.reason } : {}),
        },
      });
  }

  reportStates(request: PbReportDeviceStatesRequest, reason: string | undefined): void {
    const deviceId = this.device(request.deviceNamespace, request.deviceName).instance.id;
    const state = stateOf(request.state);
    if (!state) {
      this.deps.logger.warn({ deviceId, state: request.state }, 'DMI state report with an unknown state; ignored');
      return;
    }
    this.deps.bus.publish('device.state', {
      deviceId,
      message: { event_id: '', timestamp: this.deps.clock.now(), state, ...(reason ? { reason } : {}) },
    });
  }

  /**
   * What the DMI mapper serving the device holds of it (DeviceMapperService.GetDevice): its twins
   * as the mapper last read them. Undefined when no DMI mapper serves the device's protocol.
   */
  async getDevice(deviceId: string): Promise<DmiDeviceView | undefined> {
    const device = this.known.get(deviceId);
    if (!device) throw dmiErrors.create('KEDGE_DMI_UNKNOWN_DEVICE', `device ${deviceId} is not on this node`);
    const link = this.links.get(device.instance.protocol);
    if (!link) return undefined;
    let answer: Awaited<ReturnType<MapperLink['getDevice']>>;
    try {
      answer = await link.getDevice(device.instance.namespace, device.instance.name);
    } catch (err) {
      throw dmiErrors.create(
        'KEDGE_DMI_MAPPER_UNREACHABLE',
        `DMI mapper ${link.info.name} (${link.address}) did not answer GetDevice for ${deviceId}: ${errorText(err)}`,
        { cause: err },
      );
    }
    const value = (v: { value: string; metadata: Record<string, string> } | null) =>
      v ? { value: v.value, metadata: { ...v.metadata } } : undefined;
    return {
      id: deviceId,
      mapper: link.info.name,
      protocol: device.instance.protocol,
      twins: (answer?.status?.twins ?? []).map((t) => {
        const reported = value(t.reported);
        const observedDesired = value(t.observedDesired);
        return {
          propertyName: t.propertyName,
          ...(reported ? { reported } : {}),
          ...(observedDesired ? { observedDesired } : {}),
        };
      }),
    };
  }

  // ---- mappers and their devices --------------------------------------------------------------

  private async link(info: PbMapperInfo): Promise<MapperLink> {
    const protocol = info.protocol.toLowerCase();
    const existing = this.links.get(protocol);
    if (existing && existing.address === info.address.toString() && existing.info.name === info.name) return existing;
    existing?.close();
    const dmi = this.dmi ?? (await this.listenerWarm());
    const { MapperLink } = await import('./mapper-link.js');
    const link = new MapperLink(dmi, info, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      events: {
        unreachable: (ids, reason) => this.setStates(ids, 'offline', reason),
        reachable: (ids) => this.setStates(ids, 'unknown', `DMI mapper ${info.name} answers again`),
      },
    });
    this.links.set(protocol, link);
    return link;
  }

  private async listenerWarm(): Promise<Dmi> {
    await this.listener!.warm();
    return this.dmi!;
  }

  /** Recomputes every mapper's target after a change; refreshes run one after the other. */
  private refresh(): void {
    if (this.links.size === 0) return;
    this.refreshing = this.refreshing
      .then(async () => {
        for (const [protocol, link] of this.links) void link.sync(await this.targetFor(protocol));
      })
      .catch((err: unknown) => this.deps.logger.warn({ err: errorText(err) }, 'DMI: devices not passed on'));
  }

  private async targetFor(protocol: string): Promise<MapperTarget> {
    const { bus } = this.deps;
    const { toPbDevice, toPbModel } = await import('../../contracts/dmi/index.js');
    const [devices, models] = await Promise.all([
      bus.request('meta.listDevices', {}),
      bus.request('meta.listModels', {}),
    ]);
    const modelById = new Map(models.map((m) => [`${namespaceOf(m.metadata)}/${m.metadata.name}`, m]));
    const target: MapperTarget = { devices: new Map(), models: new Map() };
    for (const device of devices) {
      const ns = namespaceOf(device.metadata);
      const model = modelById.get(`${ns}/${device.spec.deviceModelRef.name}`);
      if (!model) continue;
      const merged: Device = mergeModelDefaults(device, model);
      if ((merged.spec.protocol?.protocolName ?? '').toLowerCase() !== protocol.toLowerCase()) continue;
      const id = `${ns}/${device.metadata.name}`;
      const { desired, pending } = await this.desiredOf(id);
      target.devices.set(id, toPbDevice(merged, model, desired, pending));
      target.models.set(`${ns}/${model.metadata.name}`, toPbModel(model as DeviceModel));
    }
    return target;
  }

  /** The twin's desired values (set by the cloud or by edge applications) and which await confirmation. */
  private async desiredOf(deviceId: string): Promise<{ desired: Record<string, string>; pending: Set<string> }> {
    const view = await this.deps.bus.request('twin.view', { deviceId });
    const desired: Record<string, string> = {};
    const pending = new Set<string>();
    for (const [name, p] of Object.entries(view?.properties ?? {})) {
      // Optional twins (properties the model lacks) are the twin's own, as in KubeEdge: not a mapper's.
      if (p.optional) continue;
      if (p.desired) desired[name] = p.desired.value;
      if (p.pending) pending.add(name);
    }
    return { desired, pending };
  }

  private setStates(ids: string[], state: 'offline' | 'unknown', reason: string): void {
    const timestamp = this.deps.clock.now();
    for (const deviceId of ids)
      this.deps.bus.publish('device.state', { deviceId, message: { event_id: '', timestamp, state, reason } });
  }

  private announceProtocols(): void {
    this.deps.bus.publish('dmi.protocols', { protocols: [...this.links.keys()].sort() });
  }

  private device(namespace: string, name: string): EdgeDevice {
    const id = `${namespace || 'default'}/${name}`;
    const device = this.known.get(id);
    if (!device) throw dmiErrors.create('KEDGE_DMI_UNKNOWN_DEVICE', `device ${id} is not on this node`);
    return device;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.logger.warn(fields, message);
  }
}

/** KubeEdge lower-cases a state and accepts ok (mapper-framework's healthy state), kedge reads ok as online. */
function stateOf(text: string): 'online' | 'offline' | 'unhealthy' | 'unknown' | undefined {
  const state = text.toLowerCase();
  if (state === 'ok') return 'online';
  return state === 'online' || state === 'offline' || state === 'unhealthy' || state === 'unknown' ? state : undefined;
}
