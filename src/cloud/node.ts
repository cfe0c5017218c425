import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CloudChannels, CloudRequests } from '../contracts/index.js';
import { Bus } from '../core/bus/index.js';
import { systemClock, type Clock } from '../core/clock/index.js';
import type { CloudConfig } from '../core/config/index.js';
import { ModuleRuntime, type Module } from '../core/module/index.js';
import { packageVersion } from '../core/paths/index.js';
import { CloudApi } from './api/index.js';
import { CloudHub } from './cloudhub/index.js';
import { CloudDashboard } from './dashboard/index.js';
import { CloudMqtt } from './cloudmqtt/index.js';
import { DeviceController } from './devicecontroller/index.js';
import { EdgeController } from './edgecontroller/index.js';
import { CloudPki, cloudPkiErrors, JoinServer } from './pki/index.js';
import { PodController } from './podcontroller/index.js';
import { createBackend } from './backend.js';
import type { ControllerDeps } from './controller-deps.js';
import type { LeaderElection } from './leader/index.js';

export interface CloudNodeDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** For store kubernetes: $KUBECONFIG and the in-cluster variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Decides which replica runs the work that must run once (src/cloud/leader). Default: this
   * process always leads (one cloud process with its own store).
   */
  leader?: LeaderElection;
}

export interface CloudNode {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ports listened on (after start; useful with port 0). */
  readonly ports: { hub: number; api: number; mqtt: number | undefined; join: number | undefined };
  readonly bus: Bus<CloudChannels, CloudRequests>;
  readonly leader: LeaderElection;
}

/**
 * Something with a start/stop lifecycle as a module: the leader election (campaigns first, hands
 * over last) and the node claims (taken after the store, released all at once before it closes).
 */
function asModule(name: string, part: { start(): Promise<void>; stop(): Promise<void> }): Module {
  return { name, group: name, start: () => part.start(), stop: () => part.stop() };
}

/**
 * The cloud process (`kedge cloud`): store, cloud MQTT, the controllers, CloudHub and the API,
 * started in that order (consumers before producers) and stopped in reverse.
 */
export function createCloudNode(config: CloudConfig, deps: CloudNodeDeps): CloudNode {
  const { logger, registry, clock } = deps;
  const bus = new Bus<CloudChannels, CloudRequests>({ logger });
  const backend = createBackend(config, logger, {
    env: deps.env ?? process.env,
    ...(deps.leader ? { leader: deps.leader } : {}),
  });
  const leader = asModule('leader', backend.leader);
  const presence = asModule('presence', backend.presence);
  const { storeModule } = backend;
  // The store exists only after its start(); the others are built on demand behind this proxy.
  const store = lazy(() => storeModule.store!);
  const linkState = lazy(() => storeModule.linkState!);
  const mqtt = new CloudMqtt({
    bus,
    logger,
    registry,
    ...(config.mqtt.url ? { url: config.mqtt.url } : {}),
    ...(backend.journal && config.mqtt.url
      ? { once: { journal: backend.journal, presence: backend.presence, leader: backend.leader } }
      : {}),
    host: config.mqtt.host,
    port: config.mqtt.port,
  });
  const controllers: ControllerDeps = {
    bus,
    store,
    linkState,
    logger,
    registry,
    ...(clock ? { clock } : {}),
    presence: backend.presence,
  };
  const devices = new DeviceController({ ...controllers, statusIntervalMs: config.statusIntervalMs });
  const edges = new EdgeController({ ...controllers, leader: backend.leader, version: packageVersion() });
  if (config.tokenFile !== undefined && !config.insecureLink)
    throw cloudPkiErrors.create(
      'KEDGE_PKI_SHARED_TOKEN',
      `--token-file ${config.tokenFile}: the shared token is for the insecure lab link (--insecure-link); on the secure link every node has its own certificate`,
    );
  // The link over mutual TLS with a certificate per node, unless the lab link is asked for.
  const pki = config.insecureLink
    ? undefined
    : new CloudPki({
        bus,
        state: lazy(() => storeModule.pkiState()),
        caCertFile: config.pki.caCertFile,
        caKeyFile: config.pki.caKeyFile,
        nodeCertTtlMs: config.pki.nodeCertTtlMs,
        serverNames: config.pki.serverNames,
        logger,
        ...(clock ? { clock } : {}),
      });
  const joinServer = pki
    ? new JoinServer({
        pki,
        logger,
        registry,
        host: config.hubHost,
        port: config.pki.joinPort,
        idleTimeoutMs: JOIN_IDLE_TIMEOUT_MS,
      })
    : undefined;
  const pods = new PodController({ bus, store, linkState, logger });
  const hub = new CloudHub({
    bus,
    linkState,
    presence: backend.presence,
    logger,
    registry,
    ...(clock ? { clock } : {}),
    host: config.hubHost,
    port: config.hubPort,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    maxPayloadBytes: config.maxFrameBytes,
    ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }),
    ...(pki ? { tls: pki } : {}),
  });
  const api = new CloudApi({
    bus,
    store,
    logger,
    registry,
    host: config.apiHost,
    port: config.apiPort,
    ...(config.apiTokenFile === undefined ? {} : { tokenFile: config.apiTokenFile }),
    ...(config.apiReadTokenFile === undefined ? {} : { readTokenFile: config.apiReadTokenFile }),
    ...(config.metricsTokenFile === undefined ? {} : { metricsTokenFile: config.metricsTokenFile }),
    ...(config.apiTls === undefined ? {} : { tls: config.apiTls }),
    insecure: config.insecureApi,
    idleTimeoutMs: config.idleTimeoutMs,
    bodyLimitBytes: config.apiMaxBodyBytes,
    maxWaitMs: config.apiMaxWaitMs,
  });
  const dashboard = new CloudDashboard({ bus, clock: clock ?? systemClock });
  if (config.store.startsWith('etcd://') && !config.mqtt.url)
    logger.warn(
      { module: 'cloudmqtt' },
      'cloud store on etcd with the embedded MQTT broker: consumers see only what this replica publishes, at least once; give replicas one external broker with --mqtt-url',
    );
  const security = pki && joinServer ? [pki, joinServer] : [];
  const runtime = new ModuleRuntime(
    [leader, storeModule, presence, mqtt, devices, edges, pods, ...security, hub, dashboard, api],
    { logger },
  );
  return {
    bus,
    leader: backend.leader,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    get ports() {
      return { hub: hub.port, api: api.port, mqtt: mqtt.port, join: joinServer?.port };
    },
  };
}

/** A connection to the join port without a request in progress is closed after this long. */
const JOIN_IDLE_TIMEOUT_MS = 30_000;

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
