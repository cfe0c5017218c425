import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import {
  checkLinkContent,
  cloudTopics,
  LinkResource,
  linkResource,
  type AckContent,
  type LinkIdentity,
  type NodeView,
  type UpstreamMessage,
  type NodeStatusPayload,
} from '../../contracts/index.js';
import type { ControllerDeps } from '../controller-deps.js';
import type { Endpoint } from '../../core/bus/index.js';
import { systemClock, type Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { gauge } from '../../core/metrics/index.js';
import { newMessage, Operation } from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { WriteCoalescer } from '../devicecontroller/index.js';
import { SoleLeader, type LeaderElection } from '../leader/index.js';
import { LocalPresence, type NodePresence } from '../presence/index.js';
import { sameSpec, type StoredObject, type WatchEvent, type WatchHandle } from '../store/index.js';
import { mapperSetFor, mapperSetToken } from './mappers.js';
import { NodeLeases } from './node-lease.js';
import {
  newNode,
  nodeView,
  stateFromNode,
  statusOf,
  withMapperAnnotations,
  type NodeState,
  type WantedMapper,
} from './node-state.js';
import { KeyedChain } from '../../core/async/index.js';

export interface EdgeControllerOptions extends ControllerDeps {
  /** Heartbeats are written to the Node status at most this often (default 60 s); ready changes at once. */
  heartbeatWriteIntervalMs?: number;
  /** The node's Lease is renewed at most this often while connected (default 10 s, as the kubelet). */
  leaseRenewIntervalMs?: number;
  /** Shown as the Node's kubelet version (`kedge-v<version>`). */
  version?: string;
  /** The replica that marks not ready the nodes no replica holds (default: this process). */
  leader?: LeaderElection;
}

const NODE = 'Node';
const NS = 'default';
const RETRIES = 5;

/**
 * Nodes: a core/v1 Node per admitted edge node (registered when a Device names it or when it
 * connects having proved who it is; Ready from the link, a Lease renewed while connected), the mapper workloads each node should run (derived from its
 * devices, sent down as `mapperset`, recorded on the Node), and the edge's disconnection when
 * its Node is deleted (it registers again when it reconnects, as a restarted kubelet would).
 * With replicas, the one holding a node's connection writes its heartbeats, lease and mapper
 * status; the leader marks not ready the nodes that no replica holds.
 */
export class EdgeController implements Module {
  readonly name = 'edgecontroller';
  readonly group = 'edgecontroller';
  private readonly endpoint: Endpoint = { name: this.name, group: this.group };
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly nodes = new Map<string, NodeState>();
  /** The Node objects as last read or written: their uids, and whether each exists. */
  private readonly nodeObjects = new Map<string, StoredObject>();
  private readonly devicesByNode = new Map<string, Map<string, StoredObject>>();
  private readonly sentSets = new Map<string, string>();
  private heartbeats: WriteCoalescer | undefined;
  private leaseWrites: WriteCoalescer | undefined;
  private leases: NodeLeases | undefined;
  private watches: WatchHandle[] = [];
  private undo: Array<() => void> = [];
  private failures: Counter | undefined;
  private readonly chains = new KeyedChain();
  /** How each connected node proved who it is (CloudHub's link.connected). */
  private readonly identities = new Map<string, LinkIdentity>();
  private unregistered: Counter | undefined;
  /** Nodes whose connection this replica holds. */
  private readonly local = new Set<string>();
  private readonly presence: NodePresence;
  private readonly leader: LeaderElection;
  private readonly ownLeader: boolean;
  /** The sweep at the start of a term, awaited by start() when this replica leads already. */
  private sweep: Promise<void> | undefined;

  constructor(private readonly options: EdgeControllerOptions) {
    this.log = options.logger.child({ module: this.name });
    this.clock = options.clock ?? systemClock;
    this.presence = options.presence ?? new LocalPresence();
    this.leader = options.leader ?? new SoleLeader();
    this.ownLeader = options.leader === undefined;
  }

  async start(): Promise<void> {
    const { store, bus } = this.options;
    this.failures ??= new Counter({
      name: 'kedge_edgecontroller_status_write_failures_total',
      help: 'Node status and lease writes that failed',
      registers: [this.options.registry],
    });
    this.registerGauges();
    this.heartbeats = new WriteCoalescer(
      this.clock,
      this.options.heartbeatWriteIntervalMs ?? 60_000,
      (node) => this.writeStatus(node, ['lastHeartbeat']),
      (node, err) => this.writeFailed(node, err),
    );
    this.unregistered ??= new Counter({
      name: 'kedge_edgecontroller_unregistered_connections_total',
      help: 'Connections of nodes without credentials that no Device names: served, but no Node object is created',
      registers: [this.options.registry],
    });
    this.leases = new NodeLeases(store);
    this.leaseWrites = new WriteCoalescer(
      this.clock,
      this.options.leaseRenewIntervalMs ?? 10_000,
      (node) => this.renewLease(node),
      (node, err) => this.writeFailed(node, err),
    );
    // Nodes left ready by a cloud that stopped are marked not ready by the leader (lead()).
    const nodes = await store.list(NODE);
    for (const n of nodes.items) {
      this.nodes.set(n.metadata.name, stateFromNode(n));
      this.nodeObjects.set(n.metadata.name, n);
    }
    this.watches.push(await store.watch(NODE, nodes.resourceVersion, (e) => this.onNode(e)));
    const devices = await store.list('Device');
    for (const d of devices.items) this.indexDevice({ type: 'ADDED', object: d });
    this.watches.push(await store.watch('Device', devices.resourceVersion, (e) => this.onDevice(e)));
    this.undo.push(
      bus.subscribe('link.connected', this.endpoint, (e) => {
        this.local.add(e.node);
        this.identities.set(e.node, e.identity ?? 'anonymous');
        if (!this.admitted(e.node)) this.noteUnregistered(e.node);
        // A fresh store has no mapper set: send it again.
        if (e.fresh) this.sentSets.delete(e.node);
        return this.serial(e.node, async () => {
          await this.setReady(e.node, true, undefined, e.ts);
          await this.syncMappers(e.node);
        });
      }),
    );
    this.undo.push(
      bus.subscribe('link.disconnected', this.endpoint, (e) => {
        this.local.delete(e.node);
        return this.serial(e.node, async () => {
          await this.disconnected(e.node, e.reason);
          // Nothing of an unregistered node outlives its connection.
          if (!this.admitted(e.node)) this.nodes.delete(e.node);
          this.identities.delete(e.node);
        });
      }),
    );
    if (this.ownLeader) await this.leader.start();
    // Nobody is connected to a cloud that just started: the leader marks not ready what no replica holds.
    this.undo.push(
      this.leader.whileLeader((signal) => {
        this.sweep = this.lead(signal);
        return this.sweep;
      }),
    );
    await this.sweep?.catch((err: unknown) => this.writeFailed('*', err));
    this.undo.push(bus.subscribe('link.heartbeat', this.endpoint, (e) => this.onHeartbeat(e.node, e.ts)));
    this.undo.push(
      bus.serve('upstream.mapperstatus', this.endpoint, (req) => this.serial(req.node, () => this.onMapperStatus(req))),
    );
    this.undo.push(bus.serve('nodes.list', this.endpoint, () => this.list()));
    for (const node of new Set([...this.nodes.keys(), ...this.devicesByNode.keys()])) await this.syncMappers(node);
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    this.local.clear();
    if (this.ownLeader) await this.leader.stop();
    for (const w of this.watches.splice(0)) w.stop();
    await this.chains.idle();
    this.leaseWrites?.cancelAll();
    this.leaseWrites = undefined;
    await this.heartbeats?.flush();
    this.heartbeats = undefined;
  }

  /** Node readiness for alerts (`node not ready` in deploy/prometheus), read when scraped. */
  private gaugesRegistered = false;
  private registerGauges(): void {
    if (this.gaugesRegistered) return;
    this.gaugesRegistered = true;
    const nodes = this.nodes;
    gauge(this.options.registry, {
      name: 'kedge_node_ready',
      help: '1 while the node is connected to CloudHub and sending frames, else 0',
      labelNames: ['node'],
      collect() {
        this.reset();
        for (const [node, s] of nodes) this.set({ node }, s.ready ? 1 : 0);
      },
    });
    gauge(this.options.registry, {
      name: 'kedge_node_last_heartbeat_timestamp_seconds',
      help: 'When the cloud last received a frame from the node (Unix time)',
      labelNames: ['node'],
      collect() {
        this.reset();
        for (const [node, s] of nodes) if (s.lastHeartbeat !== undefined) this.set({ node }, s.lastHeartbeat / 1000);
      },
    });
    gauge(this.options.registry, {
      name: 'kedge_node_mappers_ready',
      help: 'Mapper workloads of the node that are ready, as the node reported them',
      labelNames: ['node'],
      collect() {
        this.reset();
        for (const [node, s] of nodes) this.set({ node }, [...s.mappers.values()].filter((m) => m.ready).length);
      },
    });
  }

  /** Store writes of one node run one after another (ensureNode reads, then creates or updates). */
  private serial<T>(node: string, fn: () => Promise<T>): Promise<T> {
    return this.chains.run(node, fn);
  }

  /** A deleted Node disconnects its edge; kedge's own writes come back here too and are only noted. */
  private onNode(e: WatchEvent): void {
    const name = e.object.metadata.name;
    if (e.type !== 'DELETED') {
      this.nodeObjects.set(name, e.object);
      return;
    }
    this.nodeObjects.delete(name);
    this.leases?.forget(name);
    const state = this.nodes.get(name);
    this.log.warn({ node: name }, `Node ${name} was deleted: disconnecting its edge`);
    this.options.bus.publish('link.disconnect', { node: name, reason: `Node ${name} was deleted` });
    if (state) state.ready = false;
  }

  private onDevice(e: WatchEvent): void {
    const nodes = this.indexDevice(e);
    for (const node of nodes)
      void this.serial(node, () => this.syncMappers(node)).catch((err: unknown) => this.writeFailed(node, err));
  }

  /** Keeps devices per node; returns the nodes touched. */
  private indexDevice(e: WatchEvent): string[] {
    const key = `${e.object.metadata.namespace ?? NS}/${e.object.metadata.name}`;
    // A status write (every twin report ends in one) leaves uid and generation as they were: the
    // mapper set cannot change, and re-deriving it per write cost more than the write itself.
    if (e.type === 'MODIFIED' && this.statusOnly(key, e.object)) return [];
    const touched: string[] = [];
    for (const [node, devs] of this.devicesByNode) {
      if (devs.delete(key)) touched.push(node);
    }
    const node = (e.object.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (e.type !== 'DELETED' && typeof node === 'string' && node) {
      let devs = this.devicesByNode.get(node);
      if (!devs) this.devicesByNode.set(node, (devs = new Map()));
      devs.set(key, e.object);
      touched.push(node);
    }
    return [...new Set(touched)];
  }

  /** A status-only change of a device already indexed: keeps the newer object, touches no node. */
  private statusOnly(key: string, next: WatchEvent['object']): boolean {
    const node = (next.spec as { nodeName?: unknown } | undefined)?.nodeName;
    const devs = typeof node === 'string' ? this.devicesByNode.get(node) : undefined;
    if (!devs || !sameSpec(devs.get(key), next)) return false;
    devs.set(key, next);
    return true;
  }

  private wantedMappers(node: string): WantedMapper[] {
    return mapperSetFor(this.devicesByNode.get(node)?.values() ?? []).mappers;
  }

  /**
   * Leader work: a node that no replica holds is not ready. At the start of a term that covers
   * nodes left ready by a cloud that stopped; then the claims are watched, and a node whose
   * holder vanished without a disconnect (its replica was killed: the claim ended with the
   * replica's lease) is marked not ready.
   */
  private async lead(signal: AbortSignal): Promise<void> {
    const holders = new Map<string, string>();
    const watch = await this.presence.watch((node, holder) => {
      if (holder) holders.set(node, holder);
      else holders.delete(node);
      if (!holder && !signal.aborted)
        void this.serial(node, () => this.unheld(node, 'no cloud replica holds its connection'));
    });
    if (signal.aborted) return watch.stop();
    signal.addEventListener('abort', () => watch.stop());
    for (const n of (await this.options.store.list(NODE)).items) {
      if (signal.aborted) return;
      const name = n.metadata.name;
      if (!holders.has(name) && !this.local.has(name) && stateFromNode(n).ready)
        await this.serial(name, () => this.unheld(name, 'the cloud restarted'));
    }
  }

  /** Marks a node not ready that is stored ready and that nobody holds (checked again, now). */
  private async unheld(node: string, reason: string): Promise<void> {
    if (this.local.has(node)) return;
    const stored = await this.options.store.get(NODE, '', node);
    if (!stored || !stateFromNode(stored).ready) return;
    if ((await this.presence.holderOf(node)) !== undefined) return;
    await this.setReady(node, false, reason);
  }

  /** This replica lost the node's connection: not ready, unless another replica holds it already. */
  private async disconnected(node: string, reason: string): Promise<void> {
    const holder = await this.presence.holderOf(node).catch(() => undefined);
    if (holder !== undefined && holder !== this.presence.identity) {
      this.log.info({ node, holder }, 'node moved to another cloud replica');
      return;
    }
    await this.setReady(node, false, reason);
  }

  /** Records the node's mapper set on its Node and sends it when it differs from what the node has. */
  private async syncMappers(node: string): Promise<void> {
    if (!this.admitted(node)) return; // no devices, no credentials: nothing to run, nothing to register
    const set = mapperSetFor(this.devicesByNode.get(node)?.values() ?? []);
    const token = mapperSetToken(set);
    await this.registerLate(node);
    // Admitted: a Device names it, or it proved who it is. Its Node exists from then on, connected
    // or not (`kedge get nodes` lists a gateway a Device waits for, not Ready until it connects).
    await this.recordOnNode(node, true);
    const key = `${LinkResource.mapperSet}/${NS}/${node}`;
    // The replica holding the node sends; it reads what the node acknowledged when it connects.
    if (!this.local.has(node)) {
      this.sentSets.delete(node);
      return;
    }
    const sent = this.sentSets.get(node) ?? (await this.options.linkState.ackedObjects(node)).get(key);
    if (sent === token || (sent === undefined && set.mappers.length === 0)) return;
    this.sentSets.set(node, token);
    const message = newMessage(
      {
        source: this.name,
        group: 'resource',
        operation: Operation.update,
        resource: linkResource(node, NS, LinkResource.mapperSet, node),
      },
      set,
    );
    this.options.bus.publish('link.send', { node, key, token, message });
  }

  /**
   * Whether the node gets (or has) a Node object: it has one already, a Device names it, or it
   * proved who it is when it connected (its certificate, or the lab link's token). A bare connection to a
   * cloud without --token-file is served but registers nothing: 2,000 fake clients made 2,000
   * Node objects that never went away.
   */
  private admitted(node: string): boolean {
    return (
      this.nodeObjects.has(node) ||
      (this.devicesByNode.get(node)?.size ?? 0) > 0 ||
      this.identities.get(node) === 'token' ||
      this.identities.get(node) === 'certificate'
    );
  }

  private noteUnregistered(node: string): void {
    this.unregistered?.inc();
    this.log.warn(
      { node, code: 'KEDGE_EDGECONTROLLER_UNREGISTERED' },
      `node ${node} connected without credentials and no Device names it: it is served but not registered (no Node object) until a Device gives it nodeName ${node}; run the cloud without --insecure-link to admit nodes by their certificates`,
    );
  }

  /**
   * A node connected here before it was admitted (no credentials) and a Device names it now: it
   * registers as it would have when it connected, and its availability is news to consumers.
   */
  private async registerLate(node: string): Promise<void> {
    const state = this.nodes.get(node);
    if (this.nodeObjects.has(node) || !this.local.has(node) || !state?.ready) return;
    if (!(await this.recordOnNode(node, true))) return;
    await this.writeStatus(node, ['ready', 'lastHeartbeat']);
    this.leaseWrites?.mark(node, true);
    await this.publishAvailability(node, state);
  }

  /**
   * Brings the Node's annotations up to date; with `register`, creates the Node when there is
   * none (only for admitted nodes: see admitted()). The mapper status is
   * what the node reported to the replica holding it: other replicas keep the one stored.
   */
  private async recordOnNode(node: string, register: boolean): Promise<StoredObject | undefined> {
    const { store } = this.options;
    const mappers = this.wantedMappers(node);
    for (let attempt = 0; ; attempt++) {
      const existing = await store.get(NODE, '', node);
      try {
        if (!existing) {
          if (!register) return undefined;
          const created = await store.create(newNode(node, mappers, this.stateOf(node), this.version));
          this.nodeObjects.set(node, created);
          this.log.info({ node }, `Node ${node} registered`);
          return created;
        }
        const reported = this.local.has(node) ? this.stateOf(node) : undefined;
        const updated = withMapperAnnotations(existing, mappers, reported);
        const written = updated ? await store.update(updated) : existing;
        this.nodeObjects.set(node, written);
        return written;
      } catch (err) {
        const code = (err as { code?: string }).code;
        const again = ['KEDGE_CLOUD_STORE_CONFLICT', 'KEDGE_CLOUD_STORE_EXISTS', 'KEDGE_CLOUD_STORE_NOT_FOUND'];
        if (!again.includes(code ?? '') || attempt >= RETRIES) throw err;
      }
    }
  }

  private get version(): string {
    return this.options.version ?? '0.0.0';
  }

  private stateOf(node: string): NodeState {
    let s = this.nodes.get(node);
    if (!s) this.nodes.set(node, (s = { ready: false, lastHeartbeat: undefined, mappers: new Map() }));
    return s;
  }

  private async setReady(
    node: string,
    ready: boolean,
    reason: string | undefined,
    ts = this.clock.now(),
  ): Promise<void> {
    const state = this.stateOf(node);
    if (state.ready !== ready || state.transitionAt === undefined) state.transitionAt = ts;
    state.ready = ready;
    if (reason) state.reason = reason;
    else delete state.reason;
    if (ready) {
      state.connectedAt = ts;
      state.lastHeartbeat = ts;
    }
    this.options.bus.publish('node.changed', { node });
    if (!this.admitted(node)) return; // served, not registered: nothing stored, nothing retained
    this.log.info({ node, ready, reason }, ready ? 'node ready' : 'node not ready');
    try {
      const registered = await this.recordOnNode(node, ready);
      // The leader marking a node not ready keeps the heartbeat its holder wrote last.
      if (registered) await this.writeStatus(node, ready ? ['ready', 'lastHeartbeat'] : ['ready']);
      if (ready) this.leaseWrites?.mark(node, true);
    } catch (err) {
      this.writeFailed(node, err);
    }
    await this.publishAvailability(node, state, ts);
  }

  private async publishAvailability(node: string, state: NodeState, ts = this.clock.now()): Promise<void> {
    const payload: NodeStatusPayload = {
      node,
      ready: state.ready,
      ...(state.reason ? { reason: state.reason } : {}),
      ts,
    };
    await this.options.bus
      .request('cloudmqtt.publish', { topic: cloudTopics.nodeStatus(node), payload, qos: 1, retain: true })
      .catch((err: unknown) => this.log.warn({ node, err: errorText(err) }, 'node availability not published'));
  }

  private onHeartbeat(node: string, ts: number): void {
    const state = this.stateOf(node);
    state.lastHeartbeat = ts;
    if (!this.admitted(node)) return;
    this.heartbeats?.mark(node);
    if (state.ready) this.leaseWrites?.mark(node);
  }

  private async renewLease(node: string): Promise<void> {
    const state = this.nodes.get(node);
    if (!state?.ready || !this.leases) return;
    await this.leases.renew(node, state.lastHeartbeat ?? this.clock.now(), this.nodeObjects.get(node));
  }

  private async onMapperStatus(req: UpstreamMessage): Promise<AckContent> {
    const checked = checkLinkContent.mapperStatus(req.message.content);
    if (!checked.ok) {
      this.log.warn(
        { node: req.node, code: 'KEDGE_EDGECONTROLLER_BAD_CONTENT' },
        `mapperstatus from node ${req.node} refused: ${checked.reason}`,
      );
      return { ok: false, reason: checked.reason };
    }
    this.stateOf(req.node).mappers.set(checked.value.name, checked.value);
    this.options.bus.publish('node.changed', { node: req.node });
    if (!this.admitted(req.node)) return { ok: true };
    await this.recordOnNode(req.node, true);
    return { ok: true };
  }

  /**
   * The Ready condition written on top of the Node's current status (409: read again). Only
   * `fields` come from this replica (`ready` with its reason and transition): the holder writes
   * heartbeats, the leader may write not ready meanwhile, and neither undoes the other.
   */
  private async writeStatus(node: string, fields: Array<'ready' | 'lastHeartbeat'>): Promise<void> {
    const state = this.nodes.get(node);
    if (!state) return;
    const { store } = this.options;
    for (let attempt = 0; ; attempt++) {
      const current = await store.get(NODE, '', node);
      if (!current) return; // deleted: it registers again when the edge reconnects
      const merged = stateFromNode(current);
      if (fields.includes('lastHeartbeat')) merged.lastHeartbeat = state.lastHeartbeat;
      if (fields.includes('ready')) {
        merged.ready = state.ready;
        merged.transitionAt = state.transitionAt;
        merged.reason = state.reason;
      }
      try {
        const written = await store.updateStatus(
          NODE,
          '',
          node,
          statusOf(merged, current.status, this.version),
          current.metadata.resourceVersion,
        );
        this.nodeObjects.set(node, written);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'KEDGE_CLOUD_STORE_CONFLICT' || attempt >= RETRIES) throw err;
      }
    }
  }

  private writeFailed(node: string, err: unknown): void {
    this.failures?.inc();
    this.log.warn(
      { node, code: 'KEDGE_EDGECONTROLLER_STATUS_WRITE', err: errorText(err) },
      `Node ${node} status or lease not written`,
    );
  }

  /**
   * Registered nodes: those held here as this replica knows them, others as stored by their
   * holder; and unregistered nodes while they are connected here.
   */
  private async list(): Promise<NodeView[]> {
    const { items } = await this.options.store.list(NODE);
    const views = items.map((n) =>
      nodeView(n, this.local.has(n.metadata.name) ? this.stateOf(n.metadata.name) : stateFromNode(n)),
    );
    const listed = new Set(items.map((n) => n.metadata.name));
    for (const [name, state] of this.nodes)
      if (!listed.has(name) && this.local.has(name) && state.ready)
        views.push(nodeView({ kind: NODE, metadata: { name } }, state));
    return views;
  }
}
