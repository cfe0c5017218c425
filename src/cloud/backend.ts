import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { CloudConfig } from '../core/config/index.js';
import type { Module } from '../core/module/index.js';
import { connectEtcd, parseEtcdUrl, unavailable } from './etcd/index.js';
import { EtcdLeaderElection, LeaseLeaderElection, SoleLeader, type LeaderElection } from './leader/index.js';
import { EtcdPresence, LeasePresence, LocalPresence, type NodePresence } from './presence/index.js';
import {
  EtcdLinkState,
  EtcdObjectStore,
  EtcdPkiState,
  EtcdPublishJournal,
  type PkiStateStore,
  type PublishJournal,
  SqlitePkiState,
  SqliteLinkState,
  SqliteObjectStore,
  openCloudDatabase,
  openKubernetesStore,
  type LinkStateStore,
  type ObjectStore,
} from './store/index.js';

/**
 * What a cloud process keeps its state in and coordinates through: the store, the link state,
 * node claims and the leader election. `sqlite`: one process, everything local. `kubernetes`:
 * devices, models, statuses, Nodes and Leases in a cluster's API server, the link state in a
 * local SQLite file. `etcd://...`: replicas sharing one etcd cluster.
 */
export interface CloudBackend {
  /**
   * Opens the store (start) and closes it (stop); `store` and `linkState` exist after start,
   * `pkiState()` (the CA's state, opened on first use: the lab link has none) too.
   */
  storeModule: Module & {
    store: ObjectStore | undefined;
    linkState: LinkStateStore | undefined;
    pkiState(): PkiStateStore;
  };
  presence: NodePresence;
  leader: LeaderElection;
  identity: string;
  /** Replicas: the QoS 2 journal of the MQTT sessions (exists after the store started). */
  journal: PublishJournal | undefined;
}

export interface BackendOptions {
  /** For store kubernetes: $KUBECONFIG and the in-cluster variables. */
  env: NodeJS.ProcessEnv;
  /** Replaces the backend's own leader election. */
  leader?: LeaderElection;
}

export function createBackend(config: CloudConfig, logger: Logger, options: BackendOptions): CloudBackend {
  const { leader } = options;
  const identity = config.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const onWatchError = (kind: string, err: unknown) =>
    logger.error({ module: 'store', kind, err: String(err) }, 'watch handler failed');
  if (config.store === 'kubernetes') return kubernetesBackend(config, logger, identity, options);
  if (config.store === 'sqlite') {
    return {
      identity,
      storeModule: new SqliteStoreModule(config.dataDir, onWatchError),
      journal: undefined,
      presence: new LocalPresence(identity),
      leader:
        leader ??
        new SoleLeader(identity, (err) => logger.error({ module: 'leader', err: String(err) }, 'leader work failed')),
    };
  }
  const hosts = parseEtcdUrl(config.store);
  const storeModule = new EtcdStoreModule(hosts, config.etcdPrefix, onWatchError);
  return {
    identity,
    storeModule,
    journal: lazyJournal(storeModule),
    presence: new EtcdPresence({
      client: connectEtcd({ hosts }),
      identity,
      logger,
      prefix: config.etcdPrefix,
    }),
    leader: leader ?? new EtcdLeaderElection({ hosts, identity, logger, key: `${config.etcdPrefix}leader` }),
  };
}

class SqliteStoreModule implements Module {
  readonly name = 'store';
  readonly group = 'store';
  store: SqliteObjectStore | undefined;
  linkState: SqliteLinkState | undefined;
  private pki: SqlitePkiState | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly onWatchError: (kind: string, err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.store = new SqliteObjectStore({ file: join(this.dataDir, 'cloud.db'), onWatchError: this.onWatchError });
    this.linkState = new SqliteLinkState(this.store.database);
  }

  /** `<data-dir>/pki/`: pki.db and the CA's files, as earlier versions kept them. */
  pkiState(): PkiStateStore {
    this.pki ??= new SqlitePkiState(join(this.dataDir, 'pki'));
    return this.pki;
  }

  async stop(): Promise<void> {
    this.pki?.close();
    this.pki = undefined;
    await this.store?.close();
  }
}

/**
 * On Kubernetes, replicas coordinate through coordination.k8s.io Leases in the cloud's
 * namespace (leader election as client-go's, node claims under each replica's Lease). The
 * election and the claims each open a client of their own: their renewals must not queue behind
 * the store's traffic, or a busy replica would take itself for cut off.
 */
function kubernetesBackend(
  config: CloudConfig,
  logger: Logger,
  identity: string,
  options: BackendOptions,
): CloudBackend {
  const coordination = {
    open: async () => {
      const store = await openKubernetesStore({ kubeconfig: config.kubeconfig, env: options.env, required: ['Lease'] });
      return { store, namespace: config.kubeNamespace ?? store.namespace ?? 'default' };
    },
    close: (store: ObjectStore) => store.close(),
  };
  return {
    identity,
    storeModule: new KubernetesStoreModule(config, logger, options.env),
    journal: undefined,
    presence: new LeasePresence({ ...coordination, identity, logger }),
    leader: options.leader ?? new LeaseLeaderElection({ ...coordination, identity, logger }),
  };
}

/**
 * Devices, models, statuses, Nodes and Leases in a Kubernetes API server; the link's
 * bookkeeping (ObjectSync, the dedupe window) in a SQLite file of its own in dataDir, and so far
 * the CA's state too (`<data-dir>/pki/`, per replica: a PkiStateStore on Secrets is to come).
 */
class KubernetesStoreModule implements Module {
  readonly name = 'store';
  readonly group = 'store';
  store: ObjectStore | undefined;
  linkState: LinkStateStore | undefined;
  private closeLinkState: (() => void) | undefined;
  private pki: SqlitePkiState | undefined;

  pkiState(): PkiStateStore {
    this.pki ??= new SqlitePkiState(join(this.config.dataDir, 'pki'));
    return this.pki;
  }

  constructor(
    private readonly config: CloudConfig,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<void> {
    const log = this.logger.child({ module: 'store' });
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
  }

  async stop(): Promise<void> {
    await this.store?.close();
    this.closeLinkState?.();
    this.closeLinkState = undefined;
    this.pki?.close();
    this.pki = undefined;
  }
}

class EtcdStoreModule implements Module {
  readonly name = 'store';
  readonly group = 'store';
  client: Etcd3 | undefined;
  store: EtcdObjectStore | undefined;
  linkState: EtcdLinkState | undefined;
  journal: EtcdPublishJournal | undefined;
  private pki: EtcdPkiState | undefined;

  constructor(
    private readonly hosts: string[],
    private readonly prefix: string,
    private readonly onWatchError: (kind: string, err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const client = connectEtcd({ hosts: this.hosts });
    try {
      // Fails start-up clearly when no member answers, instead of hanging in the first watch.
      await client.get(`${this.prefix}leader`).exec();
    } catch (err) {
      client.close();
      throw unavailable(`etcd at ${this.hosts.join(', ')}`, err);
    }
    this.client = client;
    this.store = new EtcdObjectStore({ client, prefix: this.prefix, onWatchError: this.onWatchError });
    this.linkState = new EtcdLinkState(client, this.prefix);
    this.journal = new EtcdPublishJournal(client, this.prefix);
    this.pki = new EtcdPkiState(client, this.prefix);
  }

  /** `<prefix>pki/`: shared by every replica. */
  pkiState(): PkiStateStore {
    if (!this.pki) throw new Error('the PKI state is used before the store started');
    return this.pki;
  }

  async stop(): Promise<void> {
    await this.store?.close();
    this.client?.close();
    this.client = undefined;
  }
}

function lazyJournal(module: EtcdStoreModule): PublishJournal {
  return new Proxy({} as PublishJournal, {
    get(_t, prop) {
      const journal = module.journal as unknown as Record<string | symbol, unknown> | undefined;
      if (!journal) throw new Error('the publish journal is used before the store started');
      const value = journal[prop];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(journal) : value;
    },
  });
}
