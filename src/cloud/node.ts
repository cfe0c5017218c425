import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CloudChannels, CloudRequests } from '../contracts/index.js';
import { Bus } from '../core/bus/index.js';
import type { Clock } from '../core/clock/index.js';
import type { CloudConfig } from '../core/config/index.js';
import { ModuleRuntime, type Module } from '../core/module/index.js';
import { packageVersion } from '../core/paths/index.js';
import { CloudApi } from './api/index.js';
import { CloudHub } from './cloudhub/index.js';
import { CloudMqtt } from './cloudmqtt/index.js';
import { DeviceController } from './devicecontroller/index.js';
import { EdgeController } from './edgecontroller/index.js';
import {
  type LinkStateStore,
  type ObjectStore,
  SqliteLinkState,
  SqliteObjectStore,
  openCloudDatabase,
  openKubernetesStore,
} from './store/index.js';

export interface CloudNodeDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** For store kubernetes: $KUBECONFIG and the in-cluster variables (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface CloudNode {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ports listened on (after start; useful with port 0). */
  readonly ports: { hub: number; api: number; mqtt: number | undefined };
  readonly bus: Bus<CloudChannels, CloudRequests>;
}

/**
 * The store opened by start() and closed by stop(), like every module: the embedded SQLite file,
 * or a Kubernetes cluster (the link's bookkeeping then stays in a SQLite file of its own).
 */
class StoreModule implements Module {
  readonly name = 'store';
  readonly group = 'store';
  store: ObjectStore | undefined;
  linkState: LinkStateStore | undefined;
  private closeLinkState: (() => void) | undefined;

  constructor(
    private readonly config: CloudConfig,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<void> {
    const log = this.logger.child({ module: 'store' });
    if (this.config.store === 'kubernetes') {
      const store = await openKubernetesStore({
        kubeconfig: this.config.kubeconfig,
        env: this.env,
        onWatchError: (kind, err, retryInMs) =>
          retryInMs === undefined
            ? log.error({ kind, err: String(err) }, 'watch handler failed')
            : log.warn({ kind, err: String(err), retryInMs }, `watch of ${kind} failed; retrying`),
      });
      log.info(
        { server: store.server, credentials: store.source, deviceStatus: store.serves('DeviceStatus') },
        'store: Kubernetes',
      );
      const db = openCloudDatabase(join(this.config.dataDir, 'link-state.db'));
      this.store = store;
      this.linkState = new SqliteLinkState(db);
      this.closeLinkState = () => db.close();
      return;
    }
    const store = new SqliteObjectStore({
      file: join(this.config.dataDir, 'cloud.db'),
      onWatchError: (kind, err) => log.error({ kind, err: String(err) }, 'watch handler failed'),
    });
    this.store = store;
    this.linkState = new SqliteLinkState(store.database);
  }

  async stop(): Promise<void> {
    await this.store?.close();
    this.closeLinkState?.();
    this.closeLinkState = undefined;
  }
}

/**
 * The cloud process (`kedge cloud`): store, cloud MQTT, the controllers, CloudHub and the API,
 * started in that order (consumers before producers) and stopped in reverse.
 */
export function createCloudNode(config: CloudConfig, deps: CloudNodeDeps): CloudNode {
  const { logger, registry, clock } = deps;
  const bus = new Bus<CloudChannels, CloudRequests>({ logger });
  const storeModule = new StoreModule(config, logger, deps.env ?? process.env);
  // The store exists only after its start(); the others are built on demand behind this proxy.
  const store = lazy(() => storeModule.store!);
  const linkState = lazy(() => storeModule.linkState!);
  const mqtt = new CloudMqtt({
    bus,
    logger,
    registry,
    ...(config.mqtt.url ? { url: config.mqtt.url } : {}),
    host: config.mqtt.host,
    port: config.mqtt.port,
  });
  const devices = new DeviceController({
    bus,
    store,
    linkState,
    logger,
    registry,
    ...(clock ? { clock } : {}),
    statusIntervalMs: config.statusIntervalMs,
  });
  const edges = new EdgeController({
    bus,
    store,
    linkState,
    logger,
    registry,
    ...(clock ? { clock } : {}),
    version: packageVersion(),
  });
  const hub = new CloudHub({
    bus,
    linkState,
    logger,
    registry,
    ...(clock ? { clock } : {}),
    host: config.hubHost,
    port: config.hubPort,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    maxPayloadBytes: config.maxFrameBytes,
    ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }),
  });
  const api = new CloudApi({
    bus,
    store,
    logger,
    registry,
    host: config.apiHost,
    port: config.apiPort,
    ...(config.apiTokenFile === undefined ? {} : { tokenFile: config.apiTokenFile }),
  });
  const runtime = new ModuleRuntime([storeModule, mqtt, devices, edges, hub, api], { logger });
  return {
    bus,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    get ports() {
      return { hub: hub.port, api: api.port, mqtt: mqtt.port };
    },
  };
}

/** An object whose methods are looked up on `get()` at call time. */
function lazy<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      const target = get() as Record<string | symbol, unknown>;
      const value = target[prop];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
