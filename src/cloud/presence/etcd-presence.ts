import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { GroupCommit } from '../../core/async/index.js';
import { errorText } from '../../core/errors/index.js';
import { unavailable } from '../etcd/index.js';
import type { NodePresence } from './types.js';

export interface EtcdPresenceOptions {
  /**
   * A client of its own (closed by stop()): its lease keep-alives must not queue behind the
   * store's bulk traffic, or a busy replica would take itself for cut off.
   */
  client: Etcd3;
  identity: string;
  logger: Logger;
  /** Key prefix of this cloud (config cloud.etcdPrefix); claims live under `<prefix>p/<node>`. */
  prefix: string;
  /** TTL of this replica's lease (default 5 s): a dead replica's nodes are free after this long. */
  ttlSeconds?: number;
  /** Unhealthy once the last renewal is older than TTL minus this (default 1500 ms). */
  safetyMarginMs?: number;
}

/**
 * Claims in etcd: `<prefix>p/<node>` = the holder's identity, under the holder's lease, so a
 * replica that dies (kill -9) loses its claims when its lease ends. The lease is renewed by
 * etcd3's keep-alive; once a renewal is overdue (cut off from etcd) this replica turns unhealthy
 * before its claims can lapse, and CloudHub closes its edges: they reconnect to a replica that
 * etcd still hears. A lost lease is replaced and the claims made again.
 */
export class EtcdPresence implements NodePresence {
  readonly identity: string;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly marginMs: number;
  private readonly log: Logger;
  private lease: Lease | undefined;
  private leaseId: string | undefined;
  private lastRenew = 0;
  private wasHealthy = false;
  private readonly claimed = new Set<string>();
  private readonly listeners = new Set<(healthy: boolean) => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly watchers = new Set<{ cancel(): Promise<void> }>();
  private readonly alivePrefix: string;
  private announced = '';
  /** Claims asked together go in one transaction (a reconnect storm of thousands), 100 at most. */
  private readonly claims = new GroupCommit<string>({
    write: (nodes) => this.writeClaims(nodes),
    maxPerWrite: 100,
    overlap: true,
  });

  constructor(private readonly options: EtcdPresenceOptions) {
    this.identity = options.identity;
    this.prefix = `${options.prefix}p/`;
    this.alivePrefix = `${options.prefix}alive/`;
    this.ttl = options.ttlSeconds ?? 5;
    this.marginMs = options.safetyMarginMs ?? 1500;
    this.log = options.logger.child({ module: 'presence' });
  }

  get healthy(): boolean {
    return this.leaseId !== undefined && Date.now() - this.lastRenew < this.ttl * 1000 - this.marginMs;
  }

  onHealth(listener: (healthy: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.newLease();
    this.wasHealthy = true;
    this.timer = setInterval(() => this.check(), 200);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const w of [...this.watchers]) await w.cancel().catch(() => {});
    this.watchers.clear();
    const lease = this.lease;
    this.lease = undefined;
    this.leaseId = undefined;
    this.claimed.clear();
    // Revoking deletes every claim at once: the leader sees the nodes free without waiting for the TTL.
    if (lease) await lease.revoke().catch(() => lease.release());
    this.options.client.close();
  }

  async claim(node: string): Promise<void> {
    const leaseId = this.leaseId;
    if (!leaseId || !this.healthy)
      throw unavailable(`claim of node ${node}`, new Error('this replica is cut off from etcd'));
    this.claimed.add(node);
    await this.claims.add(node);
  }

  private async writeClaims(nodes: string[]): Promise<void> {
    const { client } = this.options;
    try {
      const leaseId = this.leaseId;
      if (!leaseId || !this.healthy) throw new Error('this replica is cut off from etcd');
      await client
        .if(this.prefix, 'Create', '>', -1)
        .then(...nodes.map((node) => client.put(this.key(node)).value(this.identity).lease(leaseId)))
        .commit();
    } catch (err) {
      throw unavailable(`claim of ${nodes.length} node(s)`, err);
    }
  }

  async release(node: string): Promise<void> {
    this.claimed.delete(node);
    const leaseId = this.leaseId;
    if (!leaseId) return;
    const { client } = this.options;
    try {
      await client
        .if(this.key(node), 'Lease', '==', leaseId)
        .then(client.delete().key(this.key(node)))
        .commit();
    } catch (err) {
      // The claim ends with the lease anyway.
      this.log.debug({ node, err: errorText(err) }, 'claim not released');
    }
  }

  async announce(value: string): Promise<void> {
    this.announced = value;
    const leaseId = this.leaseId;
    if (!leaseId) throw unavailable('announce', new Error('this replica is cut off from etcd'));
    try {
      await this.options.client.put(`${this.alivePrefix}${this.identity}`).value(value).lease(leaseId).exec();
    } catch (err) {
      throw unavailable('announce', err);
    }
  }

  async replicas(): Promise<Map<string, string>> {
    try {
      const res = await this.options.client.getAll().prefix(this.alivePrefix).exec();
      return new Map(res.kvs.map((kv) => [kv.key.toString().slice(this.alivePrefix.length), kv.value.toString()]));
    } catch (err) {
      throw unavailable('live replicas', err);
    }
  }

  async holderOf(node: string): Promise<string | undefined> {
    try {
      return (await this.options.client.get(this.key(node)).string()) ?? undefined;
    } catch (err) {
      throw unavailable(`holder of node ${node}`, err);
    }
  }

  async watch(handler: (node: string, holder: string | undefined) => void): Promise<{ stop(): void }> {
    const { client } = this.options;
    const current = await client.getAll().prefix(this.prefix).exec();
    for (const kv of current.kvs) handler(kv.key.toString().slice(this.prefix.length), kv.value.toString());
    const watcher = await client
      .watch()
      .prefix(this.prefix)
      .startRevision(String(Number(current.header.revision) + 1))
      .create();
    this.watchers.add(watcher);
    let stopped = false;
    watcher.on('data', (res) => {
      for (const e of res.events) {
        if (stopped) return;
        const node = e.kv.key.toString().slice(this.prefix.length);
        handler(node, e.type === 'Delete' ? undefined : e.kv.value.toString());
      }
    });
    watcher.on('error', (err) => this.log.warn({ err: errorText(err) }, 'presence watch failed'));
    return {
      stop: () => {
        stopped = true;
        this.watchers.delete(watcher);
        void watcher.cancel().catch(() => {});
      },
    };
  }

  private key(node: string): string {
    return `${this.prefix}${node}`;
  }

  private async newLease(): Promise<void> {
    const lease = this.options.client.lease(this.ttl);
    const requested = Date.now();
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease) this.lastRenew = Date.now();
    });
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.log.warn({ err: errorText(err) }, 'presence lease lost; taking a new one');
      this.lease = undefined;
      this.leaseId = undefined;
      this.check();
    });
    try {
      const id = await lease.grant();
      // Other replicas take a replica without this record for dead (and complete its MQTT session).
      await this.options.client.put(`${this.alivePrefix}${this.identity}`).value(this.announced).lease(id).exec();
      this.lease = lease;
      this.leaseId = id;
      this.lastRenew = requested;
    } catch (err) {
      lease.release();
      throw unavailable('presence lease', err);
    }
  }

  private renewing = false;

  /** Reports health changes; replaces a lost or stale lease (its claims are gone or going). */
  private check(): void {
    const healthy = this.healthy;
    if (healthy !== this.wasHealthy) {
      this.wasHealthy = healthy;
      this.log[healthy ? 'info' : 'warn'](
        { identity: this.identity },
        healthy ? 'in touch with etcd again' : 'cut off from etcd: not serving edges',
      );
      for (const l of [...this.listeners]) l(healthy);
    }
    if (healthy || this.renewing) return;
    // Stale: the claims may lapse any moment. A new lease once etcd answers; edges reconnect and claim again.
    this.renewing = true;
    const old = this.lease;
    this.lease = undefined;
    this.leaseId = undefined;
    this.claimed.clear();
    if (old) void old.revoke().catch(() => old.release());
    this.newLease()
      .catch(() => {})
      .finally(() => {
        this.renewing = false;
      });
  }
}
