import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import {
  LEASE_API_VERSION,
  LEASE_KIND,
  LeaseObserver,
  MANAGED_BY,
  ROLE_LABEL,
  leaseSpec,
  microTime,
} from '../coordination/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';
import type { LeaderElection, LeaderWork } from './types.js';
import { LeaderWorkSet } from './work-set.js';

export interface LeaseLeaderElectionOptions {
  /**
   * Opens the store the election reads and writes its Lease through (with store kubernetes a
   * client of its own, so renewals never queue behind the store's traffic); `close` undoes it.
   */
  open: () => Promise<{ store: ObjectStore; namespace: string }>;
  close?: (store: ObjectStore) => Promise<void>;
  /** The Lease's name (default `kedge-cloud-leader`). */
  name?: string;
  identity: string;
  logger: Logger;
  /** How long a hold lasts after a renewal (default 15 s, as client-go). */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down (default 10 s, as client-go). */
  renewDeadlineMs?: number;
  /** How often the leader renews and a follower tries to take the lease (default 2 s, as client-go). */
  retryPeriodMs?: number;
  now?: () => number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go leaderelection's rules:
 * - the Lease holds holderIdentity, leaseDurationSeconds, acquireTime, renewTime and
 *   leaseTransitions; it is created when absent (409 AlreadyExists: another replica was first);
 * - a follower takes it only after leaseDurationSeconds passed, on its own clock, without the
 *   record changing (or when holderIdentity is empty: released); every take and renewal is an
 *   update carrying the resourceVersion just read, so of two candidates only one succeeds (409);
 * - the leader renews every retry period and steps down when no renewal succeeded for
 *   renewDeadline, which is shorter than the lease: it has stopped before anyone may take over;
 * - stop() releases the lease (holderIdentity "", leaseDurationSeconds 1) so the next leader
 *   takes over at once.
 */
export class LeaseLeaderElection implements LeaderElection {
  readonly identity: string;
  private readonly works: LeaderWorkSet;
  private readonly log: Logger;
  private readonly name: string;
  private readonly durationMs: number;
  private readonly deadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly observer: LeaseObserver;
  private store: ObjectStore | undefined;
  private namespace = '';
  private lastRenew = 0;
  private isLeading = false;
  private seenLeader: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LeaseLeaderElectionOptions) {
    this.identity = options.identity;
    this.name = options.name ?? 'kedge-cloud-leader';
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.deadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
    if (this.deadlineMs >= this.durationMs) throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
    this.now = options.now ?? Date.now;
    this.observer = new LeaseObserver(this.now);
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
    const { store, namespace } = await this.options.open();
    this.store = store;
    this.namespace = namespace;
    // The first attempt fails start-up when the API server does not answer.
    await this.tryAcquireOrRenew();
    const tick = Math.min(this.retryMs, 250);
    let since = 0;
    this.timer = setInterval(() => {
      if (this.isLeading && !this.fresh()) this.stepDown(`no renewal for ${this.deadlineMs} ms`);
      since += tick;
      if (since < this.retryMs || this.attempt) return;
      since = 0;
      this.attempt = this.tryAcquireOrRenew()
        .catch((err: unknown) => this.log.debug({ err: errorText(err) }, 'leader lease not read or written; retrying'))
        .finally(() => {
          this.attempt = undefined;
        });
    }, tick);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.attempt;
    const wasLeading = this.isLeading;
    this.isLeading = false;
    this.works.end();
    const store = this.store;
    this.store = undefined;
    if (!store) return;
    if (wasLeading) await this.release(store);
    await this.options.close?.(store);
  }

  private fresh(): boolean {
    return this.now() - this.lastRenew < this.deadlineMs;
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const store = this.store;
    if (!store || this.stopped) return;
    const started = this.now();
    const current = await store.get(LEASE_KIND, this.namespace, this.name);
    if (!current) {
      try {
        this.observer.observe(await store.create(this.record(undefined, started)));
      } catch (err) {
        if ((err as { code?: string }).code === 'KEDGE_CLOUD_STORE_EXISTS') return; // another replica was first
        throw err;
      }
      return this.renewed(started);
    }
    this.observer.observe(current);
    const holder = leaseSpec(current).holderIdentity ?? '';
    const held = this.observer.holder(this.name, this.durationMs / 1000);
    if (holder !== this.identity && held !== undefined) {
      if (this.isLeading) this.stepDown(`replica ${held} holds the lease`);
      this.seenLeader = held;
      return;
    }
    let written: StoredObject;
    try {
      written = await store.update(this.record(current, started));
    } catch (err) {
      // Another candidate wrote it since it was read: it took or renewed the lease.
      if ((err as { code?: string }).code === 'KEDGE_CLOUD_STORE_CONFLICT') return;
      throw err;
    }
    this.observer.observe(written);
    if (holder !== this.identity)
      this.log.info({ previous: holder || undefined }, `took the leader lease ${this.namespace}/${this.name}`);
    this.renewed(started);
  }

  /** The Lease with this replica as holder: a renewal keeps acquireTime and the transition count. */
  private record(current: StoredObject | undefined, now: number): StoredObject {
    const spec = leaseSpec(current);
    const mine = spec.holderIdentity === this.identity;
    return {
      ...(current ?? {}),
      apiVersion: LEASE_API_VERSION,
      kind: LEASE_KIND,
      metadata: current?.metadata ?? {
        name: this.name,
        namespace: this.namespace,
        labels: { ...MANAGED_BY, [ROLE_LABEL]: 'leader' },
      },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: current === undefined ? 0 : (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
  }

  /** A take or renewal succeeded; it counts from when its request was sent. */
  private renewed(sentAt: number): void {
    if (this.stopped) return;
    this.lastRenew = sentAt;
    this.seenLeader = this.identity;
    if (this.isLeading || !this.fresh()) return;
    this.isLeading = true;
    this.log.info({ identity: this.identity }, 'leading the cloud replicas');
    this.works.begin();
  }

  private stepDown(reason: string): void {
    if (!this.isLeading) return;
    this.isLeading = false;
    this.seenLeader = undefined;
    this.log.warn({ identity: this.identity, reason }, 'no longer leading');
    this.works.end();
  }

  /** As client-go's ReleaseOnCancel: an empty holder and a one-second lease. */
  private async release(store: ObjectStore): Promise<void> {
    try {
      const current = await store.get(LEASE_KIND, this.namespace, this.name);
      if (!current || leaseSpec(current).holderIdentity !== this.identity) return;
      const now = this.now();
      await store.update({
        ...current,
        spec: {
          ...leaseSpec(current),
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: microTime(now),
          renewTime: microTime(now),
        },
      });
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'leader lease not released; it expires after its duration');
    }
  }
}
