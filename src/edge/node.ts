import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EDGE_BOUNDARY_CHANNELS, type EdgeChannels, type EdgeRequests } from '../contracts/index.js';
import { Bus } from '../core/bus/index.js';
import { systemClock, type Clock } from '../core/clock/index.js';
import { mapperDefaults, type EdgeConfig } from '../core/config/index.js';
import type { KedgeError } from '../core/errors/index.js';
import { createMetricsRegistry } from '../core/metrics/index.js';
import { packageVersion } from '../core/paths/index.js';
import { ModuleRuntime, type Module } from '../core/module/index.js';
import { readTokenFile } from '../core/token/index.js';
import { EdgeApi } from './api/index.js';
import { DmiModule } from './dmi/index.js';
import { EdgeDashboard } from './dashboard/index.js';
import {
  Edged,
  LogBudget,
  type BackOff,
  type ContainerEngine,
  type InProcessMapperFactory,
  type ProcessRuntime,
} from './edged/index.js';
import { DeviceMetrics, MetricsFederation, NodeStatus } from './metrics/index.js';
import { EventBus, MAPPER_USER, mapperPassword, type BrokerAccessConfig, type BrokerUser } from './eventbus/index.js';
import { MetaManager } from './metamanager/index.js';
import { OpcuaBrowse } from './opcuabrowse/index.js';
import { PipelineModule } from './pipeline/index.js';
import { ServiceBus } from './servicebus/index.js';
import { EdgeStore, type MetaStore, type OutboxStore, type WriteBatcher } from './store/index.js';
import { TwinModule } from './twin/index.js';

export type EdgeBus = Bus<EdgeChannels, EdgeRequests>;

/** What a module added from outside (EdgeHub, the cloud link) gets to work with. */
export interface EdgeModuleDeps {
  bus: EdgeBus;
  /** Acknowledged entries are deleted with the next commit; `settleAcks` commits them now. */
  outbox: OutboxStore & { settleAcks?(): void };
  metaStore: MetaStore;
  batcher: WriteBatcher;
  logger: Logger;
  clock: Clock;
  registry: Registry;
  config: EdgeConfig;
  /** The id of this node's store (`edge.db`); a new or replaced file has a new one. Read once started. */
  storeId: () => string;
}

export interface EdgeNodeOptions {
  logger: Logger;
  clock?: Clock;
  registry?: Registry;
  /** Modules started after the node's own (e.g. EdgeHub), stopped before them. */
  extraModules?: (deps: EdgeModuleDeps) => Module[];
  /** Edged's process runtime (tests inject a fake; default: child processes). */
  processRuntime?: ProcessRuntime;
  /** Hosts mappers in this process (`mappers: inprocess`): the mapper SDK with its drivers, from `kedge edge`. */
  inProcessMapper?: InProcessMapperFactory;
  /** Command that starts `kedge mapper` (default: this process's own entry point). */
  mapperCommand?: string[];
  /** Edged's container engine (default: one on the configured or default socket). */
  engine?: () => Promise<ContainerEngine>;
  /** Crash-loop back-off of Pod containers (tests shorten kubelet's 10 s). */
  podBackoff?: BackOff;
  /**
   * The node cannot go on (its store keeps failing to commit): `kedge edge` stops and exits with
   * code 75 so that its supervisor restarts it. Without it the node goes on, /healthz failing.
   */
  onFatal?: (err: KedgeError) => void;
  /** What each mapper Edged starts holds while the broker is away (the mapper section of the configuration). */
  mapperBuffer?: { bytes: number; offlinePollMs: number };
}

export interface EdgeNode {
  runtime: ModuleRuntime;
  bus: EdgeBus;
  store: EdgeStore;
  eventbus: EventBus;
  api: EdgeApi;
  servicebus: ServiceBus;
  edged: Edged;
  registry: Registry;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root of `kedge edge`: one bus, one SQLite file, the modules in start order.
 * MetaManager first (the others ask it for the device set), the EventBus after the modules that
 * handle what it delivers, the HTTP endpoints last.
 */
export function createEdgeNode(config: EdgeConfig, options: EdgeNodeOptions): EdgeNode {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? createMetricsRegistry({ defaultMetrics: true });
  const bus: EdgeBus = new Bus({ logger: logger.child({ module: 'bus' }), boundaryChannels: EDGE_BOUNDARY_CHANNELS });
  const log = (module: string) => logger.child({ module });
  const node = config.node;
  const store = new EdgeStore({
    dataDir: config.dataDir,
    clock,
    logger: log('store'),
    registry,
    outbox: config.outbox,
    batch: { intervalMs: config.batchMs, idleMs: config.batchIdleMs },
    disk: config.disk,
    failureLimit: config.storeFailureLimit,
    onFatal: options.onFatal,
  });
  const meta = new MetaManager({ bus, store: store.meta, batcher: store.batcher, node, logger: log('metamanager') });
  const pipeline = new PipelineModule({
    bus,
    stateStore: store.pipelineState,
    outbox: store.outbox,
    batcher: store.batcher,
    clock,
    logger: log('pipeline'),
    registry,
    node,
    snapshotIntervalMs: config.pipelineSnapshotMs,
    timeBounds: config.readings,
  });
  const twin = new TwinModule({
    bus,
    store: store.twin,
    outbox: store.outbox,
    batcher: store.batcher,
    clock,
    logger: log('twin'),
    node,
    desiredTimeoutMs: config.desiredTimeoutMs,
    reportIntervalMs: config.twinReportIntervalMs,
    checkpointMs: config.twinCheckpointMs,
    journalMs: config.twinJournalMs,
    registry,
  });
  const deviceMetrics = new DeviceMetrics({ bus, registry });
  const federation = new MetricsFederation({ bus, registry, clock });
  const nodeStatus = new NodeStatus({ bus, outbox: store.outbox, clock, node });
  const broker = brokerAccessConfig(config, log('eventbus'));
  const eventbus = new EventBus({
    bus,
    batcher: store.batcher,
    clock,
    logger: log('eventbus'),
    registry,
    node,
    mqttPort: config.mqtt.port,
    mqttUrl: config.mqtt.url,
    republishDataUpdate: config.republishDataUpdate,
    ...(broker ? { access: broker.access } : {}),
    limits: config.mqtt,
  });
  const mapperImage = config.mapperImage ?? `localhost/kedge:${packageVersion()}`;
  const edged = new Edged({
    bus,
    outbox: store.outbox,
    metaStore: store.meta,
    clock,
    logger: log('edged'),
    node,
    mode: config.mappers === 'none' ? 'none' : config.runtime === 'container' ? 'container' : config.mappers,
    ...(config.containerSocket ? { containerSocket: config.containerSocket } : {}),
    mapperImage: (protocols) =>
      (protocols.length === 1 ? config.mapperImages[protocols[0]!] : undefined) ?? mapperImage,
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.podBackoff ? { podBackoff: options.podBackoff } : {}),
    dataDir: config.dataDir,
    mqttUrl: () => eventbus.url,
    ...(broker ? { mqttCredentials: broker.mappers } : {}),
    runtime: options.processRuntime,
    mapperCommand: options.mapperCommand,
    inProcessMapper: options.inProcessMapper,
    logBudget: new LogBudget(join(config.dataDir, 'logs'), config.disk.logBytes, log('edged'), registry),
    mapperBuffer: options.mapperBuffer ?? {
      bytes: mapperDefaults().bufferBytes,
      offlinePollMs: mapperDefaults().offlinePollMs,
    },
  });
  // KubeEdge's DMI: its gRPC loads only when a DMI mapper connects or is known from before.
  const dmiSocket = config.dmiSocket ?? DmiModule.defaultSocket(config.dataDir);
  const dmi =
    dmiSocket === 'off'
      ? []
      : [
          new DmiModule({
            bus,
            metaStore: store.meta,
            clock,
            logger: log('dmi'),
            socketPath: dmiSocket,
            // The default socket is a convenience: when it cannot be served the edge runs without DMI.
            optional: config.dmiSocket === undefined,
          }),
        ];
  const servicebus = new ServiceBus({
    bus,
    logger: log('servicebus'),
    port: config.servicebusPort,
    allow: config.servicebusAllow,
  });
  const opcuaBrowse = new OpcuaBrowse({
    bus,
    logger: log('opcuabrowse'),
    dataDir: config.dataDir,
    ...(options.mapperCommand ? { command: options.mapperCommand } : {}),
  });
  const dashboard = new EdgeDashboard({ bus, clock });
  const api = new EdgeApi({
    bus,
    logger: log('api'),
    registry,
    port: config.apiPort,
    host: config.apiHost,
    ...(config.apiTokenFile === undefined ? {} : { tokenFile: config.apiTokenFile }),
    maxBodyBytes: config.apiMaxBodyBytes,
    node,
    health: () => store.health(),
  });
  const extra =
    options.extraModules?.({
      bus,
      outbox: store.linkOutbox,
      metaStore: store.meta,
      batcher: store.batcher,
      logger,
      clock,
      registry,
      config,
      storeId: () => store.storeId,
    }) ?? [];
  // New outbox entries are announced after their commit, so EdgeHub never sends uncommitted ones.
  let announced = 0;
  store.batcher.onCommit(() => {
    const appended = store.outbox.appended;
    if (appended > announced) bus.publish('outbox.appended', { count: appended - announced });
    announced = appended;
  });
  const runtime = new ModuleRuntime(
    [
      store,
      meta,
      pipeline,
      twin,
      ...dmi,
      deviceMetrics,
      federation,
      nodeStatus,
      eventbus,
      edged,
      servicebus,
      opcuaBrowse,
      dashboard,
      api,
      ...extra,
    ],
    {
      logger,
    },
  );
  return {
    runtime,
    bus,
    store,
    eventbus,
    api,
    servicebus,
    edged,
    registry,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}

/**
 * The embedded broker's accounts (config edge.mqtt.users, passwords read from their files) and
 * the account of the mappers and Pods Edged starts (its password kept in the data dir:
 * mapper-password.ts). Clients without credentials may only read by default (edge.mqtt.anonymous).
 */
function brokerAccessConfig(
  config: EdgeConfig,
  logger: Logger,
): { access: BrokerAccessConfig; mappers: { username: string; password: string } } | undefined {
  if (config.mqtt.url !== undefined) return undefined;
  const { anonymous } = config.mqtt;
  const users = config.mqtt.users ?? [];
  const mappers = { username: MAPPER_USER, password: mapperPassword(config.dataDir) };
  const accounts: BrokerUser[] = users.map((u) => ({
    username: u.username,
    password: readTokenFile(u.passwordFile),
    publish: u.publish,
    subscribe: u.subscribe,
  }));
  accounts.push({ ...mappers, publish: ['$ke/#', '$hw/#'], subscribe: ['$ke/#', '$hw/#'] });
  logger.info({ users: users.map((u) => u.username), anonymous }, 'edge broker checks credentials and topic ACLs');
  return { access: { users: accounts, anonymous }, mappers };
}
