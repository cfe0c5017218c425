import type { Logger } from 'pino';
import {
  MAPPER_NODE_FLAGS,
  LinkResource,
  edgeTopics,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
  type MapperDeviceSet,
  type MapperSetContent,
  type MapperStatusContent,
  type MapperWorkloadStatus,
  type PodStatus,
  type PodStatusContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import type { Pod } from '../../model/index.js';
import type { MetaStore, OutboxStore } from '../store/index.js';
import type { ContainerEngine } from './container/engine.js';
import { hostDevicesFor } from './container/host-devices.js';
import { LABEL } from './container/labels.js';
import { ContainerMapperRuntime } from './container/mapper-runtime.js';
import { lazyEngine } from './container/socket.js';
import { edgedErrors } from './errors.js';
import { type InProcessMapperFactory, InProcessRuntime } from './inprocess-runtime.js';
import { LogStreams } from './pods/log-streams.js';
import { PodManager } from './pods/pod-manager.js';
import type { LogBudget } from './rotating-log.js';
import { ChildProcessRuntime, type ProcessRuntime } from './runtime.js';
import { queueStatus } from './status-outbox.js';
import { DEFAULT_BACKOFF, Supervisor, type BackOff } from './supervisor.js';

export interface EdgedDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  outbox: OutboxStore;
  metaStore: MetaStore;
  clock: Clock;
  logger: Logger;
  node: string;
  /**
   * process: child processes; inprocess: drivers in this process; container: containers on the
   * container engine; none: external mappers.
   */
  mode: 'process' | 'inprocess' | 'container' | 'none';
  dataDir: string;
  /** The broker URL mappers connect to (known once the EventBus has started). */
  mqttUrl: () => string;
  /** The mappers' account on the edge broker, when it checks access (broker-access.ts). */
  mqttCredentials?: { username: string; password: string };
  runtime?: ProcessRuntime;
  /** Creates an in-process mapper (mode inprocess): handed in by `kedge edge` (mappers/sdk + drivers). */
  inProcessMapper?: InProcessMapperFactory;
  /** Command prefix that runs `kedge` (default: this process's own entry point). */
  mapperCommand?: string[];
  backoff?: BackOff;
  /**
   * The container engine's socket (Docker API: podman system service or dockerd); default the
   * first of `$CONTAINER_HOST`, `$DOCKER_HOST`, /run/podman/podman.sock, /var/run/docker.sock.
   * Pods run there whatever `mode` says; without an engine they stay Pending and say why.
   */
  containerSocket?: string;
  /** The engine itself (tests); default one on `containerSocket`. */
  engine?: () => Promise<ContainerEngine>;
  /** The image of a mapper container hosting these protocols (mode container; config mapperImage, mapperImages). */
  mapperImage: (protocols: string[]) => string;
  /** Crash-loop back-off of Pod containers (default kubelet's, 10 s to 5 min). */
  podBackoff?: BackOff;
  /** The mapper logs' share of the disk bound (child processes). */
  logBudget?: LogBudget;
  /** What each mapper holds while the broker is away (from the mapper section of the configuration). */
  mapperBuffer: { bytes: number; offlinePollMs: number };
}

const endpoint = { name: 'edged', group: 'edged' };
const STATE_TYPE = 'edged';
const STATE_KEY = 'devicesets';

/**
 * Runs the mapper workloads the node needs and publishes each protocol's desired device set
 * (retained) whenever devices change, also when mappers run elsewhere (mode none).
 */
export class Edged implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private readonly workloads = new Map<string, Supervisor>();
  private devices: EdgeDevice[] = [];
  private mapperSet: MapperSetContent | undefined;
  /** Protocols served by DMI mappers: no MQTT mapper and no MQTT device set for them. */
  private dmi = new Set<string>();
  private undo: Array<() => void> = [];
  private pods: PodManager | undefined;
  private readonly logs: LogStreams;

  constructor(private readonly deps: EdgedDeps) {
    this.engine = deps.engine ?? lazyEngine(deps.containerSocket);
    this.logs = new LogStreams(deps.bus, () => this.pods);
  }

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.devices = await bus.request('meta.devices', {});
    const stored = this.deps.metaStore.list('mapperset')[0]?.value as MapperSetContent | undefined;
    this.mapperSet = stored;
    this.dmi = new Set((await bus.request('dmi.served', {}).catch(() => ({ protocols: [] as string[] }))).protocols);
    this.undo = [
      bus.subscribe('dmi.protocols', endpoint, (e) => {
        this.dmi = new Set(e.protocols);
        this.publishDeviceSets();
        void this.reconcile();
      }),
      bus.subscribe('devices.changed', endpoint, (e) => {
        this.devices = e.devices;
        this.publishDeviceSets();
        void this.reconcile();
      }),
      bus.subscribe('mapperset.changed', endpoint, (set) => {
        this.mapperSet = set;
        void this.reconcile();
      }),
      bus.subscribe('mapper.status', endpoint, (s) => this.workloads.get(s.name)?.setReady(s.state === 'online')),
      bus.serve('edged.status', endpoint, () => [...this.workloads.values()].map((w) => ({ ...w.status }))),
      bus.serve('edged.pods', endpoint, () => this.pods?.views() ?? []),
      bus.serve('edged.containers', endpoint, () => this.containers()),
      bus.subscribe('pods.changed', endpoint, (e) => this.podManager().set(this.mine(e.pods))),
      bus.subscribe('logs.start', endpoint, (req) => void this.logs.start(req)),
      bus.subscribe('logs.stop', endpoint, (req) => this.logs.stop(req.streamId)),
    ];
    const pods = this.mine(this.deps.metaStore.list('pod').map((r) => r.value as Pod));
    if (pods.length > 0) this.podManager().set(pods);
    this.publishDeviceSets();
    if (this.deps.mode !== 'none') await this.runtime().cleanupOrphans?.(this.deps.dataDir);
    await this.reconcile();
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
    await this.reconciling;
    // Containers outlive the edge (the next start adopts them); processes end with it.
    await Promise.all([...this.workloads.values()].map((w) => w.detach()));
    this.workloads.clear();
    this.logs.closeAll();
    this.pods?.detach();
    this.pods = undefined;
  }

  private mine(pods: Pod[]): Pod[] {
    return pods.filter((p) => p.spec.nodeName === this.deps.node);
  }

  private podManager(): PodManager {
    this.pods ??= new PodManager({
      engine: () => this.engine(),
      node: this.deps.node,
      clock: this.deps.clock,
      logger: this.deps.logger,
      ...(this.deps.podBackoff ? { backoff: this.deps.podBackoff } : {}),
      onStatus: (pod, status) => this.reportPod(pod, status),
      env: () => this.brokerEnv(),
    });
    return this.pods;
  }

  /**
   * What a container (a Pod's, or a mapper's) needs to publish on the edge broker: its URL with the
   * mappers' user name, the user name and the password (none when the broker checks nothing).
   */
  private brokerEnv(): Array<{ name: string; value: string }> {
    const { mqttUrl, mqttPassword } = mapperBroker(this.deps.mqttUrl(), this.deps.mqttCredentials);
    if (mqttPassword === undefined || !this.deps.mqttCredentials) return [];
    return [
      { name: 'KEDGE_MQTT_URL', value: mqttUrl },
      { name: 'KEDGE_MQTT_USERNAME', value: this.deps.mqttCredentials.username },
      { name: 'KEDGE_MQTT_PASSWORD', value: mqttPassword },
    ];
  }

  /** The running containers this node's Edged started (none asked of the engine while it runs none). */
  private async containers(): Promise<Array<{ id: string; workload: string }>> {
    if (this.deps.mode !== 'container' && (this.pods?.views().length ?? 0) === 0) return [];
    const engine = await this.engine().catch(() => undefined);
    const all = (await engine?.list({ [LABEL.node]: this.deps.node }).catch(() => undefined)) ?? [];
    return all
      .filter((c) => c.running)
      .map((c) => ({
        id: c.id,
        workload: `${c.labels[LABEL.kind] === 'pod' ? 'Pod' : 'mapper'} ${c.labels[LABEL.owner] ?? c.name} (container ${c.name})`,
      }));
  }

  /** The container engine, connected on first use; rejects (and is tried again next time) when there is none. */
  private readonly engine: () => Promise<ContainerEngine>;

  /** Retained `MapperDeviceSet` per protocol; a protocol with no devices left gets an empty set. */
  private publishDeviceSets(): void {
    const byProtocol = new Map<string, EdgeDevice['instance'][]>();
    for (const d of this.devices) {
      // A device that names no protocol (KubeEdge allows it) is served by no mapper; a DMI mapper's by that one.
      if (d.instance.protocol === '' || this.dmi.has(d.instance.protocol)) continue;
      const list = byProtocol.get(d.instance.protocol) ?? [];
      list.push(d.instance);
      byProtocol.set(d.instance.protocol, list);
    }
    const state = (this.deps.metaStore.get(STATE_TYPE, STATE_KEY)?.value as
      | { version: number; protocols: string[] }
      | undefined) ?? { version: 0, protocols: [] };
    // Wall-clock based so that it keeps increasing across restarts even if the store lost a write.
    const version = Math.max(state.version + 1, this.deps.clock.now());
    const protocols = [...new Set([...state.protocols, ...byProtocol.keys()])].sort();
    for (const protocol of protocols) {
      const set: MapperDeviceSet = { node: this.deps.node, protocol, version, devices: byProtocol.get(protocol) ?? [] };
      this.deps.bus.publish('mqtt.publish', {
        topic: edgeTopics.mapperDevices(protocol),
        payload: set,
        retain: true,
        qos: 1,
      });
    }
    this.deps.metaStore.put(STATE_TYPE, STATE_KEY, { version, protocols: [...byProtocol.keys()].sort() });
  }

  /** The workloads wanted: the cloud's mapper set, else one mapper per protocol in use. */
  private wanted(): Array<{ name: string; protocols: string[] }> {
    if (this.deps.mode === 'none') return [];
    if (this.mapperSet)
      return this.mapperSet.mappers
        .map((m) => ({ ...m, protocols: m.protocols.filter((p) => !this.dmi.has(p)) }))
        .filter((m) => m.protocols.length > 0);
    const protocols = [...new Set(this.devices.map((d) => d.instance.protocol))]
      .filter((p) => p !== '' && !this.dmi.has(p))
      .sort();
    return protocols.map((p) => ({ name: `${this.deps.node}-${p}`, protocols: [p] }));
  }

  /** Reconciles run one after the other: two interleaved ones would each start what they want. */
  private reconciling: Promise<void> = Promise.resolve();

  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.reconcileNow())
      .catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'mapper workloads not reconciled'));
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    const wanted = new Map(this.wanted().map((w) => [w.name, w]));
    const stops: Promise<void>[] = [];
    for (const [name, sup] of this.workloads) {
      const want = wanted.get(name);
      if (want && want.protocols.join(',') === sup.spec.protocols.join(',')) continue;
      this.workloads.delete(name);
      stops.push(sup.stop());
    }
    await Promise.all(stops);
    for (const [name, w] of wanted) {
      if (this.workloads.has(name)) continue;
      const sup = new Supervisor(
        {
          name,
          protocols: w.protocols,
          node: this.deps.node,
          ...mapperBroker(this.deps.mqttUrl(), this.deps.mqttCredentials),
          dataDir: this.deps.dataDir,
          ...(this.deps.mode === 'container' ? { devices: hostDevicesFor(this.devices, w.protocols) } : {}),
          buffer: this.deps.mapperBuffer,
        },
        {
          runtime: this.runtime(),
          clock: this.deps.clock,
          logger: this.deps.logger,
          backoff: this.deps.backoff ?? DEFAULT_BACKOFF,
          onChange: (s) => this.report(s),
        },
      );
      this.workloads.set(name, sup);
      sup.start();
    }
    await this.runtime().prune?.([...wanted.keys()]);
  }

  private reportPod(pod: Pod, status: PodStatus): void {
    const objectId = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const uid = (pod.metadata as { uid?: unknown }).uid;
    const content: PodStatusContent = { uid: typeof uid === 'string' ? uid : '', status, ts: this.deps.clock.now() };
    queueStatus(this.deps, { key: `pod/${objectId}`, objectId, resource: LinkResource.podStatus, content });
  }

  private report(s: MapperWorkloadStatus): void {
    const content: MapperStatusContent = {
      name: s.name,
      protocols: s.protocols,
      phase: s.phase,
      restarts: s.restarts,
      ready: s.ready,
      ts: this.deps.clock.now(),
      ...(s.reason ? { reason: s.reason } : {}),
    };
    queueStatus(this.deps, {
      key: s.name,
      objectId: `default/${s.name}`,
      resource: LinkResource.mapperStatus,
      content,
    });
  }

  private inProcessMapper(): InProcessMapperFactory {
    const factory = this.deps.inProcessMapper;
    if (!factory)
      throw edgedErrors.create(
        'KEDGE_EDGED_INPROCESS',
        'mappers: inprocess, but this edge node was given no in-process mapper host (kedge edge gives one)',
      );
    return factory;
  }

  private cachedRuntime: ProcessRuntime | undefined;
  private runtime(): ProcessRuntime {
    this.cachedRuntime ??= this.deps.runtime ?? this.newRuntime();
    return this.cachedRuntime;
  }

  private newRuntime(): ProcessRuntime {
    const { mode, logger, clock } = this.deps;
    if (mode === 'inprocess')
      return new InProcessRuntime({
        logger,
        clock,
        createMapper: this.inProcessMapper(),
        defaultBuffer: this.deps.mapperBuffer,
      });
    if (mode === 'container')
      return new ContainerMapperRuntime({
        engine: () => this.engine(),
        node: this.deps.node,
        image: this.deps.mapperImage,
        logger,
      });
    return new ChildProcessRuntime(
      this.deps.mapperCommand ?? [process.execPath, ...process.execArgv, ...MAPPER_NODE_FLAGS, process.argv[1]!],
      { budget: this.deps.logBudget },
    );
  }
}

/** The broker URL with the mappers' user name, and the password beside it. */
function mapperBroker(
  url: string,
  credentials: { username: string; password: string } | undefined,
): { mqttUrl: string; mqttPassword?: string } {
  if (!credentials) return { mqttUrl: url };
  const u = new URL(url);
  u.username = encodeURIComponent(credentials.username);
  return { mqttUrl: u.toString(), mqttPassword: credentials.password };
}
