import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import {
  LEASE_API_VERSION,
  LEASE_KIND,
  LeaseObserver,
  MANAGED_BY,
  ROLE_LABEL,
  leaseName,
  leaseSpec,
  microTime,
} from '../coordination/index.js';
import { cloudStoreErrors, type ObjectStore, type StoredObject } from '../store/index.js';
import type { NodePresence } from './types.js';

export interface LeasePresenceOptions {
  /** Opens the store of the Leases (with store kubernetes a client of its own); `close` undoes it. */
  open: () => Promise<{ store: ObjectStore; namespace: string }>;
  close?: (store: ObjectStore) => Promise<void>;
  identity: string;
  logger: Logger;
  /** How long this replica's hold lasts after a renewal (default 15 s, as client-go's leases). */
  leaseDurationMs?: number;
  /** Unhealthy (not serving edges) once no renewal succeeded for this long (default 10 s). */
  renewDeadlineMs?: number;
  /** How often this replica renews its Lease (default 2 s). */
  renewPeriodMs?: number;
  /** How often the replicas' Leases are read again (default 2 s). */
  pollMs?: number;
  /** How often the leader lists every claim again (default 30 s; see watch()). */
  claimsListMs?: number;
  now?: () => number;
}

const REPLICA_PREFIX = 'kedge-replica-';
const CLAIM_PREFIX = 'kedge-claim-';
const NODE_ANNOTATION = 'kedge.io/node';
const ANNOUNCE_ANNOTATION = 'kedge.io/announce';
/** The holder's term (its replica Lease's acquireTime) when it claimed: a later term does not revive it. */
const TERM_ANNOTATION = 'kedge.io/holder-term';
const RETRIES = 5;

/**
 * Node claims as coordination.k8s.io/v1 Leases in the cloud's namespace. Each replica holds a
 * Lease of its own (`kedge-replica-<identity>`), renewed every renewPeriod; a node's claim is a
 * Lease `kedge-claim-<node>` whose holderIdentity is the replica holding its connection. A claim
 * counts only while its holder's replica Lease is held (client-go's rule: renewed within its
 * duration, on the reader's clock), so the claims of a replica that was killed lapse with its
 * Lease, without anyone deleting them. A replica that could not renew for renewDeadline (shorter
 * than the duration) turns unhealthy before its claims can lapse: CloudHub closes its edges, and
 * they reconnect to a replica the API server still hears. Back in touch, it starts a new term
 * (a new acquireTime on its Lease): claims of the old term stay lapsed, nodes are claimed again
 * as they reconnect.
 */
export class LeasePresence implements NodePresence {
  readonly identity: string;
  private readonly log: Logger;
  private readonly durationMs: number;
  private readonly deadlineMs: number;
  private readonly now: () => number;
  private readonly replicasSeen: LeaseObserver;
  private readonly own: string;
  private store: ObjectStore | undefined;
  private namespace = '';
  private lease: StoredObject | undefined;
  /** This replica's term: the acquireTime of its Lease since it was last healthy. */
  private term: string | undefined;
  private lastRenew = 0;
  private wasHealthy = false;
  private announced = '';
  private readonly claimed = new Set<string>();
  private readonly listeners = new Set<(healthy: boolean) => void>();
  private readonly watchers = new Set<() => void>();
  private timers: NodeJS.Timeout[] = [];
  private renewing: Promise<void> | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: LeasePresenceOptions) {
    this.identity = options.identity;
    this.log = options.logger.child({ module: 'presence' });
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.deadlineMs = options.renewDeadlineMs ?? 10_000;
    if (this.deadlineMs >= this.durationMs) throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
    this.now = options.now ?? Date.now;
    this.replicasSeen = new LeaseObserver(this.now);
    this.own = leaseName(REPLICA_PREFIX, options.identity);
  }

  get healthy(): boolean {
    return this.store !== undefined && this.lastRenew > 0 && this.now() - this.lastRenew < this.deadlineMs;
  }

  onHealth(listener: (healthy: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    const { store, namespace } = await this.options.open();
    this.store = store;
    this.namespace = namespace;
    await this.renew();
    await this.pollReplicas();
    this.wasHealthy = true;
    this.timers.push(setInterval(() => this.check(), 200));
    this.timers.push(setInterval(() => void this.renewInBackground(), this.options.renewPeriodMs ?? 2_000));
    this.timers.push(
      setInterval(() => {
        this.polling ??= this.pollReplicas()
          .catch((err: unknown) => this.log.debug({ err: errorText(err) }, 'replica leases not read'))
          .finally(() => {
            this.polling = undefined;
          });
      }, this.options.pollMs ?? 2_000),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const stop of [...this.watchers]) stop();
    await this.renewing;
    await this.polling;
    const store = this.store;
    const lease = this.lease;
    this.store = undefined;
    this.lease = undefined;
    if (!store) return;
    await Promise.allSettled([...this.claimed].map((node) => this.releaseWith(store, node)));
    this.claimed.clear();
    // Deleting the replica's Lease ends every claim it still has at once.
    if (lease)
      await store
        .delete(LEASE_KIND, this.namespace, this.own, lease.metadata.resourceVersion)
        .catch((err: unknown) => this.log.debug({ err: errorText(err) }, 'replica lease not deleted; it expires'));
    await this.options.close?.(store);
  }

  async claim(node: string): Promise<void> {
    const store = this.store;
    if (!store || !this.healthy) throw unavailable(`claim of node ${node}`);
    this.claimed.add(node);
    const name = leaseName(CLAIM_PREFIX, node);
    for (let attempt = 0; ; attempt++) {
      try {
        const term = this.term;
        if (!term) throw unavailable(`claim of node ${node}`);
        const current = await store.get(LEASE_KIND, this.namespace, name);
        const spec = leaseSpec(current);
        if (
          current &&
          spec.holderIdentity === this.identity &&
          current.metadata.annotations?.[TERM_ANNOTATION] === term
        )
          return;
        const now = microTime(this.now());
        const claimed: StoredObject = {
          apiVersion: LEASE_API_VERSION,
          kind: LEASE_KIND,
          metadata: {
            ...(current?.metadata ?? {
              name,
              namespace: this.namespace,
              labels: { ...MANAGED_BY, [ROLE_LABEL]: 'claim' },
            }),
            annotations: { ...(current?.metadata.annotations ?? {}), [NODE_ANNOTATION]: node, [TERM_ANNOTATION]: term },
          },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
            acquireTime: now,
            renewTime: now,
            leaseTransitions: current ? (spec.leaseTransitions ?? 0) + 1 : 0,
          },
        };
        await (current ? store.update(claimed) : store.create(claimed));
        return;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (!['KEDGE_CLOUD_STORE_CONFLICT', 'KEDGE_CLOUD_STORE_EXISTS'].includes(code) || attempt >= RETRIES)
          throw unavailable(`claim of node ${node}`, err);
      }
    }
  }

  async release(node: string): Promise<void> {
    this.claimed.delete(node);
    if (this.store) await this.releaseWith(this.store, node);
  }

  /** Deletes the claim when this replica holds it (a precondition: not once another took it). */
  private async releaseWith(store: ObjectStore, node: string): Promise<void> {
    const name = leaseName(CLAIM_PREFIX, node);
    try {
      const current = await store.get(LEASE_KIND, this.namespace, name);
      if (!current || leaseSpec(current).holderIdentity !== this.identity) return;
      await store.delete(LEASE_KIND, this.namespace, name, current.metadata.resourceVersion);
    } catch (err) {
      // The claim lapses with this replica's Lease anyway.
      this.log.debug({ node, err: errorText(err) }, 'claim not released');
    }
  }

  async holderOf(node: string): Promise<string | undefined> {
    const store = this.requireStore(`holder of node ${node}`);
    try {
      const claim = await store.get(LEASE_KIND, this.namespace, leaseName(CLAIM_PREFIX, node));
      return claim ? await this.liveHolder(store, claim) : undefined;
    } catch (err) {
      throw unavailable(`holder of node ${node}`, err);
    }
  }

  /**
   * The claim's holder while the replica Lease of its term is held; a replica not seen before is
   * read now.
   */
  private async liveHolder(store: ObjectStore, claim: StoredObject): Promise<string | undefined> {
    const holder = leaseSpec(claim).holderIdentity;
    const term = claim.metadata.annotations?.[TERM_ANNOTATION];
    if (!holder) return undefined;
    if (holder === this.identity) return this.healthy && term === this.term ? holder : undefined;
    const name = leaseName(REPLICA_PREFIX, holder);
    if (!this.replicasSeen.names().includes(name)) {
      const lease = await store.get(LEASE_KIND, this.namespace, name);
      if (!lease) return undefined;
      this.replicasSeen.observe(lease);
    }
    const live = this.replicasSeen.holder(name, this.durationMs / 1000) === holder;
    return live && this.replicasSeen.spec(name)?.acquireTime === term ? holder : undefined;
  }

  /**
   * Claims as the leader needs them: each period the claims last listed are judged again against
   * the replicas' Leases (read every period, few), and the claims themselves are listed again
   * every `claimsListMs` (one object per node: thousands). A replica that runs out lapses all
   * its claims at once, seen within a period; a claim made since the last list is seen at the
   * next one. Every node with a claim is reported, `undefined` while nobody valid holds it.
   */
  async watch(handler: (node: string, holder: string | undefined) => void): Promise<{ stop(): void }> {
    const store = this.requireStore('claims');
    let claims = await this.listClaims(store);
    let listedAt = Date.now();
    let current = this.judge(claims);
    for (const [node, holder] of current) handler(node, holder);
    let stopped = false;
    let listing = false;
    const tick = () => {
      const next = this.judge(claims);
      for (const [node, holder] of next) if (!current.has(node) || current.get(node) !== holder) handler(node, holder);
      for (const [node, holder] of current) if (!next.has(node) && holder !== undefined) handler(node, undefined);
      current = next;
    };
    const timer = setInterval(() => {
      if (stopped || listing || !this.store) return;
      if (Date.now() - listedAt < (this.options.claimsListMs ?? 30_000)) return tick();
      listing = true;
      this.listClaims(this.store)
        .then((listed) => {
          claims = listed;
          listedAt = Date.now();
          if (!stopped) tick();
        })
        .catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'claims not read'))
        .finally(() => {
          listing = false;
        });
    }, this.options.pollMs ?? 2_000);
    const stop = () => {
      stopped = true;
      clearInterval(timer);
      this.watchers.delete(stop);
    };
    this.watchers.add(stop);
    return { stop };
  }

  private async listClaims(store: ObjectStore): Promise<StoredObject[]> {
    await this.pollReplicas();
    const { items } = await store.list(LEASE_KIND, { namespace: this.namespace, labelSelector: `${ROLE_LABEL}=claim` });
    return items.filter((c) => c.metadata.annotations?.[NODE_ANNOTATION]);
  }

  /** Each claimed node and its holder while valid, by the replica Leases as last read. */
  private judge(claims: StoredObject[]): Map<string, string | undefined> {
    const held = new Map<string, string | undefined>();
    for (const claim of claims) {
      const node = claim.metadata.annotations![NODE_ANNOTATION]!;
      const holder = leaseSpec(claim).holderIdentity;
      const term = claim.metadata.annotations?.[TERM_ANNOTATION];
      let valid = false;
      if (holder === this.identity) valid = this.healthy && term === this.term;
      else if (holder) {
        const name = leaseName(REPLICA_PREFIX, holder);
        valid =
          this.replicasSeen.holder(name, this.durationMs / 1000) === holder &&
          this.replicasSeen.spec(name)?.acquireTime === term;
      }
      held.set(node, valid ? holder : undefined);
    }
    return held;
  }

  async announce(value: string): Promise<void> {
    this.announced = value;
    try {
      await this.renew();
    } catch (err) {
      throw unavailable('announce', err);
    }
  }

  async replicas(): Promise<Map<string, string>> {
    const store = this.requireStore('live replicas');
    try {
      const { items } = await store.list(LEASE_KIND, {
        namespace: this.namespace,
        labelSelector: `${ROLE_LABEL}=replica`,
      });
      const live = new Map<string, string>();
      for (const lease of items) {
        this.replicasSeen.observe(lease);
        const holder = leaseSpec(lease).holderIdentity;
        const mine = holder === this.identity && this.healthy;
        if (holder && (mine || this.replicasSeen.holder(lease.metadata.name, this.durationMs / 1000) === holder))
          live.set(holder, lease.metadata.annotations?.[ANNOUNCE_ANNOTATION] ?? '');
      }
      return live;
    } catch (err) {
      throw unavailable('live replicas', err);
    }
  }

  private async pollReplicas(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const { items } = await store.list(LEASE_KIND, {
      namespace: this.namespace,
      labelSelector: `${ROLE_LABEL}=replica`,
    });
    const listed = new Set(items.map((l) => l.metadata.name));
    for (const lease of items) this.replicasSeen.observe(lease);
    for (const name of this.replicasSeen.names()) if (!listed.has(name)) this.replicasSeen.forget(name);
  }

  private renewInBackground(): Promise<void> {
    this.renewing ??= this.renew()
      .catch((err: unknown) => this.log.debug({ err: errorText(err) }, 'replica lease not renewed'))
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** Writes this replica's Lease (created, or updated over the version last written or read). */
  private async renew(): Promise<void> {
    const store = this.requireStore('replica lease');
    const sentAt = this.now();
    let reread = this.lease === undefined;
    for (let attempt = 0; ; attempt++) {
      const base = reread ? await store.get(LEASE_KIND, this.namespace, this.own) : this.lease;
      const spec = leaseSpec(base);
      const now = microTime(sentAt);
      const term = this.term ?? now;
      const next: StoredObject = {
        apiVersion: LEASE_API_VERSION,
        kind: LEASE_KIND,
        metadata: {
          ...(base?.metadata ?? { name: this.own, namespace: this.namespace }),
          labels: { ...(base?.metadata.labels ?? {}), ...MANAGED_BY, [ROLE_LABEL]: 'replica' },
          annotations: { ...(base?.metadata.annotations ?? {}), [ANNOUNCE_ANNOTATION]: this.announced },
        },
        spec: {
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
          acquireTime: term,
          renewTime: now,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (this.term === undefined && base ? 1 : 0),
        },
      };
      try {
        this.lease = await (base ? store.update(next) : store.create(next));
        this.lastRenew = sentAt;
        this.term = term;
        return;
      } catch (err) {
        reread = true;
        const code = (err as { code?: string }).code ?? '';
        const again = ['KEDGE_CLOUD_STORE_CONFLICT', 'KEDGE_CLOUD_STORE_EXISTS', 'KEDGE_CLOUD_STORE_NOT_FOUND'];
        if (!again.includes(code) || attempt >= RETRIES) throw unavailable('replica lease', err);
      }
    }
  }

  /** Reports health changes. A replica that was unhealthy claims its nodes again as they reconnect. */
  private check(): void {
    const healthy = this.healthy;
    if (healthy === this.wasHealthy) return;
    this.wasHealthy = healthy;
    this.log[healthy ? 'info' : 'warn'](
      { identity: this.identity },
      healthy ? 'in touch with the API server again' : 'cut off from the API server: not serving edges',
    );
    if (!healthy) {
      this.claimed.clear();
      this.term = undefined;
    }
    for (const l of [...this.listeners]) l(healthy);
  }

  private requireStore(what: string): ObjectStore {
    if (!this.store) throw unavailable(what, new Error('presence not started'));
    return this.store;
  }
}

function unavailable(what: string, cause?: unknown): Error {
  const code = (cause as { code?: string } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('KEDGE_')) return cause as Error;
  return cloudStoreErrors.create(
    'KEDGE_CLOUD_STORE_KUBE_UNREACHABLE',
    `${what}: ${cause instanceof Error ? cause.message : 'this cloud replica is cut off from the API server'}`,
    cause === undefined ? {} : { cause },
  );
}
