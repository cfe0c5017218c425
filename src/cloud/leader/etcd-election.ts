import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import { connectEtcd, unavailable } from '../etcd/index.js';
import type { LeaderElection, LeaderWork } from './types.js';
import { LeaderWorkSet } from './work-set.js';

export interface EtcdLeaderElectionOptions {
  /** etcd member endpoints (`http://host:port`). The election opens its own client: one per candidate. */
  hosts: string[];
  /** This replica's identity (hostname + pid by default in `kedge cloud`). */
  identity: string;
  logger: Logger;
  /** The leader key (default `/kedge/leader`). */
  key?: string;
  /** Lease TTL in seconds (default 5): a dead leader is replaced after about this long. */
  ttlSeconds?: number;
  /**
   * A leader whose last renewal is older than TTL minus this margin steps down (default 1500 ms),
   * so it has stopped before etcd can hand the lease on: a replica cut off from etcd never leads
   * alongside the new leader.
   */
  safetyMarginMs?: number;
  /** How often a follower tries to take the key (default 1000 ms). */
  pollMs?: number;
  /** Deadline of each etcd request (default 2000 ms). */
  requestTimeoutMs?: number;
}

/**
 * Leader election on etcd: the leader key is created, only if absent, under this replica's lease
 * (a transaction comparing its create revision with 0). The lease is kept alive by etcd3's
 * keep-alive stream; leadership counts only while the last renewal is fresh (see
 * `safetyMarginMs`). When the lease is lost or goes stale, the work is aborted, the lease
 * released, and the replica campaigns again with a new lease. stop() deletes the key (the next
 * leader takes over at once) and revokes the lease before closing the client: etcd3's close()
 * alone leaves the keep-alive running.
 */
export class EtcdLeaderElection implements LeaderElection {
  readonly identity: string;
  private readonly works: LeaderWorkSet;
  private readonly key: string;
  private readonly ttl: number;
  private readonly marginMs: number;
  private readonly log: Logger;
  private client: Etcd3 | undefined;
  private lease: Lease | undefined;
  private leaseId: string | undefined;
  private lastRenew = 0;
  private isLeading = false;
  private seenLeader: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private campaigning: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: EtcdLeaderElectionOptions) {
    this.identity = options.identity;
    this.key = options.key ?? '/kedge/leader';
    this.ttl = options.ttlSeconds ?? 5;
    this.marginMs = options.safetyMarginMs ?? 1500;
    this.log = options.logger.child({ module: 'leader' });
    this.works = new LeaderWorkSet((err) =>
      this.log.error({ err: errorText(err), code: 'KEDGE_LEADER_WORK' }, 'leader work failed'),
    );
  }

  get leading(): boolean {
    return this.isLeading && this.fresh();
  }

  get leader(): string | undefined {
    return this.seenLeader;
  }

  whileLeader(work: LeaderWork): () => void {
    return this.works.add(work);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.client = connectEtcd({ hosts: this.options.hosts, requestTimeoutMs: this.options.requestTimeoutMs ?? 2000 });
    await this.campaign(true);
    const tick = Math.min(this.options.pollMs ?? 1000, 250);
    let sinceCampaign = 0;
    this.timer = setInterval(() => {
      if (this.isLeading && !this.fresh()) this.stepDown('the lease was not renewed in time (etcd unreachable?)');
      sinceCampaign += tick;
      if (!this.isLeading && sinceCampaign >= (this.options.pollMs ?? 1000)) {
        sinceCampaign = 0;
        void this.campaign(false);
      }
    }, tick);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.campaigning;
    const wasLeading = this.isLeading;
    this.isLeading = false;
    this.works.end();
    const client = this.client;
    const lease = this.lease;
    const leaseId = this.leaseId;
    this.client = undefined;
    this.lease = undefined;
    this.leaseId = undefined;
    if (client && wasLeading && leaseId) {
      await client
        .if(this.key, 'Lease', '==', leaseId)
        .then(client.delete().key(this.key))
        .commit()
        .catch((err: unknown) =>
          this.log.warn({ err: errorText(err) }, 'leader key not deleted; it expires with the lease'),
        );
    }
    if (lease) await lease.revoke().catch(() => lease.release());
    client?.close();
  }

  private fresh(): boolean {
    return Date.now() - this.lastRenew < this.ttl * 1000 - this.marginMs;
  }

  /** One attempt to take the key; `first` rethrows an unreachable etcd (start fails). */
  private campaign(first: boolean): Promise<void> {
    if (this.campaigning || this.stopped) return this.campaigning ?? Promise.resolve();
    this.campaigning = this.tryTake()
      .catch((err: unknown) => {
        if (first) throw unavailable(`leader election at ${this.options.hosts.join(',')}`, err);
        this.log.debug({ err: errorText(err) }, 'leader campaign failed; retrying');
      })
      .finally(() => {
        this.campaigning = undefined;
      });
    return this.campaigning;
  }

  private async tryTake(): Promise<void> {
    const client = this.client!;
    const leaseId = await this.ensureLease(client);
    const res = await client
      .if(this.key, 'Create', '==', 0)
      .then(client.put(this.key).value(this.identity).lease(leaseId))
      .else(client.get(this.key))
      .commit();
    if (this.stopped) return;
    const holder = res.succeeded ? undefined : res.responses[0]?.response_range?.kvs[0];
    const mine = res.succeeded || (holder !== undefined && String(holder.lease) === leaseId);
    this.seenLeader = mine ? this.identity : holder?.value.toString();
    if (mine && this.fresh()) this.becomeLeader();
  }

  private async ensureLease(client: Etcd3): Promise<string> {
    if (this.lease && this.leaseId) return this.leaseId;
    const lease = client.lease(this.ttl);
    this.lease = lease;
    const requested = Date.now();
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease) this.lastRenew = Date.now();
    });
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.lease = undefined;
      this.leaseId = undefined;
      this.stepDown(`lease lost: ${errorText(err)}`);
    });
    try {
      this.leaseId = await lease.grant();
    } catch (err) {
      if (this.lease === lease) this.lease = undefined;
      lease.release();
      throw err;
    }
    this.lastRenew = requested;
    return this.leaseId;
  }

  private becomeLeader(): void {
    if (this.isLeading) return;
    this.isLeading = true;
    this.log.info({ identity: this.identity }, 'leading the cloud replicas');
    this.works.begin();
  }

  private stepDown(reason: string): void {
    if (this.isLeading) {
      this.isLeading = false;
      this.seenLeader = undefined;
      this.log.warn({ identity: this.identity, reason }, 'no longer leading');
      this.works.end();
    }
    // A lease that went stale is given up: a new campaign uses a new one.
    const lease = this.lease;
    if (lease && !this.fresh()) {
      this.lease = undefined;
      this.leaseId = undefined;
      void lease.revoke().catch(() => lease.release());
    }
  }
}
