import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CloudChannels, CloudRequests } from '../contracts/index.js';
import { Bus } from '../core/bus/index.js';
import type { Clock } from '../core/clock/index.js';
import type { CloudConfig } from '../core/config/index.js';
import { ModuleRuntime, type Module } from '../core/module/index.js';
import { CloudApi } from './api/index.js';
import { CloudHub } from './cloudhub/index.js';
import { CloudMqtt } from './cloudmqtt/index.js';
import { DeviceController } from './devicecontroller/index.js';
import { EdgeController } from './edgecontroller/index.js';
import { PodController } from './podcontroller/index.js';
import { SqliteLinkState, SqliteObjectStore } from './store/index.js';

export interface CloudNodeDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
}

export interface CloudNode {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ports listened on (after start; useful with port 0). */
  readonly ports: { hub: number; api: number; mqtt: number | undefined };
  readonly bus: Bus<CloudChannels, CloudRequests>;
}

/** The store opened by start() and closed by stop(), like every module. */
class StoreModule implements Module {
  readonly name = 'store';
  readonly group = 'store';
  store: SqliteObjectStore | undefined;
  linkState: SqliteLinkState | undefined;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.store = new SqliteObjectStore({
      file: this.file,
      onWatchError: (kind, err) =>
        this.logger.error({ module: 'store', kind, err: String(err) }, 'watch handler failed'),
    });
    this.linkState = new SqliteLinkState(this.store.database);
  }

  async stop(): Promise<void> {
    await this.store?.close();
  }
}

/**
 * The cloud process (`kedge cloud`): store, cloud MQTT, the controllers, CloudHub and the API,
 * started in that order (consumers before producers) and stopped in reverse.
 */
export function createCloudNode(config: CloudConfig, deps: CloudNodeDeps): CloudNode {
  const { logger, registry, clock } = deps;
  const bus = new Bus<CloudChannels, CloudRequests>({ logger });
  const storeModule = new StoreModule(join(config.dataDir, 'cloud.db'), logger);
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
  const edges = new EdgeController({ bus, store, linkState, logger, registry, ...(clock ? { clock } : {}) });
  const pods = new PodController({ bus, store, linkState, logger });
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
  const runtime = new ModuleRuntime([storeModule, mqtt, devices, edges, pods, hub, api], { logger });
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
