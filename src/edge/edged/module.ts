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
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { linkMessage } from '../shared/index.js';
import type { MetaStore, OutboxStore } from '../store/index.js';
import { edgedErrors } from './errors.js';
import { type InProcessMapperFactory, InProcessRuntime } from './inprocess-runtime.js';
import { ChildProcessRuntime, type ProcessRuntime } from './runtime.js';
import { DEFAULT_BACKOFF, Supervisor, type BackOff } from './supervisor.js';

export interface EdgedDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  outbox: OutboxStore;
  metaStore: MetaStore;
  clock: Clock;
  logger: Logger;
  node: string;
  /** process: child processes; inprocess: drivers in this process; none: external mappers. */
  mode: 'process' | 'inprocess' | 'none';
  dataDir: string;
  /** The broker URL mappers connect to (known once the EventBus has started). */
  mqttUrl: () => string;
  runtime?: ProcessRuntime;
  /** Creates an in-process mapper (mode inprocess): handed in by `kedge edge` (mappers/sdk + drivers). */
  inProcessMapper?: InProcessMapperFactory;
  /** Command prefix that runs `kedge` (default: this process's own entry point). */
  mapperCommand?: string[];
  backoff?: BackOff;
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
  private undo: Array<() => void> = [];

  constructor(private readonly deps: EdgedDeps) {}

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.devices = await bus.request('meta.devices', {});
    const stored = this.deps.metaStore.list('mapperset')[0]?.value as MapperSetContent | undefined;
    this.mapperSet = stored;
    this.undo = [
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
    ];
    this.publishDeviceSets();
    if (this.deps.mode !== 'none') this.runtime().cleanupOrphans?.(this.deps.dataDir);
    await this.reconcile();
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
    await this.reconciling;
    await Promise.all([...this.workloads.values()].map((w) => w.stop()));
    this.workloads.clear();
  }

  /** Retained `MapperDeviceSet` per protocol; a protocol with no devices left gets an empty set. */
  private publishDeviceSets(): void {
    const byProtocol = new Map<string, EdgeDevice['instance'][]>();
    for (const d of this.devices) {
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
    if (this.mapperSet) return this.mapperSet.mappers;
    const protocols = [...new Set(this.devices.map((d) => d.instance.protocol))].sort();
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
          mqttUrl: this.deps.mqttUrl(),
          dataDir: this.deps.dataDir,
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
    try {
      this.deps.outbox.append([
        {
          kind: 'status',
          key: s.name,
          message: linkMessage(
            this.deps.node,
            `default/${s.name}`,
            LinkResource.mapperStatus,
            'update',
            'edged',
            content,
            content.ts,
          ),
        },
      ]);
      // Committed by append's own transaction (this runs outside the batcher): announce it now.
      this.deps.bus.publish('outbox.appended', { count: 1 });
    } catch (err) {
      this.deps.logger.warn({ mapper: s.name, err: String(err) }, 'mapper status not queued for the cloud');
    }
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
    this.cachedRuntime ??=
      this.deps.runtime ??
      (this.deps.mode === 'inprocess'
        ? new InProcessRuntime({
            logger: this.deps.logger,
            clock: this.deps.clock,
            createMapper: this.inProcessMapper(),
          })
        : new ChildProcessRuntime(
            this.deps.mapperCommand ?? [process.execPath, ...process.execArgv, ...MAPPER_NODE_FLAGS, process.argv[1]!],
          ));
    return this.cachedRuntime;
  }
}
