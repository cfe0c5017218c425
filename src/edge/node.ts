import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EDGE_BOUNDARY_CHANNELS, type EdgeChannels, type EdgeRequests } from '../contracts/index.js';
import { Bus } from '../core/bus/index.js';
import { systemClock, type Clock } from '../core/clock/index.js';
import type { EdgeConfig } from '../core/config/index.js';
import { createMetricsRegistry } from '../core/metrics/index.js';
import { ModuleRuntime, type Module } from '../core/module/index.js';
import { EdgeApi } from './api/index.js';
import { EdgeDashboard } from './dashboard/index.js';
import { Edged, type InProcessMapperFactory, type ProcessRuntime } from './edged/index.js';
import { DeviceMetrics, MetricsFederation, NodeStatus } from './metrics/index.js';
import { EventBus } from './eventbus/index.js';
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
  outbox: OutboxStore;
  metaStore: MetaStore;
  batcher: WriteBatcher;
  logger: Logger;
  clock: Clock;
  registry: Registry;
  config: EdgeConfig;
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
    registry,
  });
  const deviceMetrics = new DeviceMetrics({ bus, registry });
  const federation = new MetricsFederation({ bus, registry, clock });
  const nodeStatus = new NodeStatus({ bus, outbox: store.outbox, clock, node });
  const eventbus = new EventBus({
    bus,
    batcher: store.batcher,
    clock,
    logger: log('eventbus'),
    registry,
    node,
    mqttPort: config.mqtt.port,
    mqttUrl: config.mqtt.url,
  });
  const edged = new Edged({
    bus,
    outbox: store.outbox,
    metaStore: store.meta,
    clock,
    logger: log('edged'),
    node,
    mode: config.mappers,
    dataDir: config.dataDir,
    mqttUrl: () => eventbus.url,
    runtime: options.processRuntime,
    mapperCommand: options.mapperCommand,
    inProcessMapper: options.inProcessMapper,
  });
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
    node,
  });
  const extra =
    options.extraModules?.({
      bus,
      outbox: store.outbox,
      metaStore: store.meta,
      batcher: store.batcher,
      logger,
      clock,
      registry,
      config,
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
