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
import { nodeView, stateFromStatus, statusOf, type NodeState } from './node-state.js';
import { KeyedChain } from '../../core/async/index.js';

export interface EdgeControllerOptions extends ControllerDeps {
  /** Heartbeats are written to the Node status at most this often (default 60 s); ready changes at once. */
  heartbeatWriteIntervalMs?: number;
  /** The replica that marks not ready the nodes no replica holds (default: this process). */
  leader?: LeaderElection;
}

const NODE = 'Node';
const NS = 'default';

/**
 * Nodes: Node objects (ready from the link, last heartbeat, mapper status) and the mapper
 * workloads each node should run, derived from the protocols of its devices and sent down as
 * `mapperset` whenever that set changes.
 */
export class EdgeController implements Module {
  readonly name = 'edgecontroller';
  readonly group = 'edgecontroller';
  private readonly endpoint: Endpoint = { name: this.name, group: this.group };
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly nodes = new Map<string, NodeState>();
  private readonly devicesByNode = new Map<string, Map<string, StoredObject>>();
  private readonly sentSets = new Map<string, string>();
  private heartbeats: WriteCoalescer | undefined;
  private watch: WatchHandle | undefined;
  private undo: Array<() => void> = [];
  private failures: Counter | undefined;
  private readonly chains = new KeyedChain();
  /** Nodes that have a Node object in the store. */
  private readonly registered = new Set<string>();
  /** How each connected node proved who it is (CloudHub's link.connected). */
  private readonly identities = new Map<string, LinkIdentity>();
  private unregistered: Counter | undefined;
  /** Nodes whose connection this replica holds. */
  private readonly local = new Set<string>();
  private readonly presence: NodePresence;
  private readonly leader: LeaderElection;

  constructor(private readonly options: EdgeControllerOptions) {
    this.log = options.logger.child({ module: this.name });
    this.clock = options.clock ?? systemClock;
    this.presence = options.presence ?? new LocalPresence();
    this.leader = options.leader ?? new SoleLeader();
    this.ownLeader = options.leader === undefined;
  }

  private readonly ownLeader: boolean;
  /** The sweep at the start of a term, awaited by start() when this replica leads already. */
  private sweep: Promise<void> | undefined;

  async start(): Promise<void> {
    const { store, bus } = this.options;
    this.failures ??= new Counter({
      name: 'kedge_edgecontroller_status_write_failures_total',
      help: 'Node status writes that failed',
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
    // Nodes left ready by a cloud that stopped are marked not ready by the leader (lead()).
    for (const n of (await store.list(NODE)).items) {
      this.nodes.set(n.metadata.name, stateFromStatus(n.status));
      this.registered.add(n.metadata.name);
    }
    const devices = await store.list('Device');
    for (const d of devices.items) this.indexDevice({ type: 'ADDED', object: d });
    this.watch = await store.watch('Device', devices.resourceVersion, (e) => this.onDevice(e));
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
    this.watch?.stop();
    this.watch = undefined;
    await this.chains.idle();
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
      if (!holders.has(name) && !this.local.has(name) && stateFromStatus(n.status).ready)
        await this.serial(name, () => this.unheld(name, 'the cloud restarted'));
    }
  }

  /** Marks a node not ready that is stored ready and that nobody holds (checked again, now). */
  private async unheld(node: string, reason: string): Promise<void> {
    if (this.local.has(node)) return;
    const stored = await this.options.store.get(NODE, '', node);
    if (!stored || !stateFromStatus(stored.status).ready) return;
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

  /** Records the node's mapper set in its Node spec and sends it when it differs from what the node has. */
  private async syncMappers(node: string): Promise<void> {
    if (!this.admitted(node)) return; // no devices, no credentials: nothing to run, nothing to register
    const set = mapperSetFor(this.devicesByNode.get(node)?.values() ?? []);
    const token = mapperSetToken(set);
    await this.ensureNode(node, set.mappers);
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
      this.registered.has(node) ||
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

  private async ensureNode(node: string, mappers: Array<{ name: string; protocols: string[] }>): Promise<StoredObject> {
    const { store } = this.options;
    let existing = await store.get(NODE, '', node);
    const state = this.stateOf(node);
    if (!existing) {
      try {
        existing = await store.create({
          apiVersion: 'kedge.io/v1',
          kind: NODE,
          metadata: { name: node, namespace: '' },
          spec: { mappers },
        });
      } catch (err) {
        // Another replica created it a moment ago: update that one.
        if ((err as { code?: string }).code !== 'KEDGE_CLOUD_STORE_EXISTS') throw err;
        return this.ensureNode(node, mappers);
      }
      this.registered.add(node);
      // Only the replica holding the node writes its state (another's "not ready" could land last).
      if (!this.local.has(node)) return existing;
      // A node that connected before it was registered: its availability is news to consumers.
      if (state.ready) await this.publishAvailability(node, state);
      const created = existing;
      return store.updateStatus(NODE, '', node, statusOf(state)).catch(() => created);
    }
    if (!this.registered.has(node)) {
      this.registered.add(node);
      // Registered by another replica while this one holds the node's connection (its Device was
      // applied there): the node's state is this replica's to write and announce.
      if (this.local.has(node) && state.ready) {
        const found = existing;
        existing = await store.updateStatus(NODE, '', node, statusOf(state)).catch(() => found);
        await this.publishAvailability(node, state);
      }
    }
    const spec = (existing.spec ?? {}) as Record<string, unknown>;
    if (JSON.stringify(spec.mappers ?? []) === JSON.stringify(mappers)) return existing;
    return store.update({ ...existing, spec: { ...spec, mappers } });
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
      await this.ensureNode(node, mapperSetFor(this.devicesByNode.get(node)?.values() ?? []).mappers);
      await this.writeStatus(node, ready ? ['ready', 'reason', 'connectedAt', 'lastHeartbeat'] : ['ready', 'reason']);
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
    this.stateOf(node).lastHeartbeat = ts;
    if (this.admitted(node)) this.heartbeats?.mark(node);
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
    await this.ensureNode(req.node, mapperSetFor(this.devicesByNode.get(req.node)?.values() ?? []).mappers);
    await this.writeStatus(req.node, ['mappers']);
    return { ok: true };
  }

  /**
   * Writes what this replica knows into the Node status, keeping what it does not know: the
   * holder writes heartbeats and mappers, the leader may write `ready: false` meanwhile. A
   * concurrent write is read again and merged (optimistic concurrency).
   */
  private async writeStatus(
    node: string,
    fields: Array<keyof NodeState> = ['ready', 'reason', 'lastHeartbeat', 'connectedAt', 'mappers'],
  ): Promise<void> {
    const state = this.nodes.get(node);
    if (!state) return;
    const { store } = this.options;
    const mine = statusOf(state);
    for (let attempt = 0; ; attempt++) {
      const current = await store.get(NODE, '', node);
      if (!current) return;
      const merged: Record<string, unknown> = { ...((current.status ?? {}) as Record<string, unknown>) };
      for (const f of fields) {
        if (f in mine) merged[f] = mine[f];
        else delete merged[f];
      }
      try {
        await store.updateStatus(NODE, '', node, merged, current.metadata.resourceVersion);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'KEDGE_CLOUD_STORE_CONFLICT' || attempt >= 5) throw err;
      }
    }
  }

  private writeFailed(node: string, err: unknown): void {
    this.failures?.inc();
    this.log.warn(
      { node, code: 'KEDGE_EDGECONTROLLER_STATUS_WRITE', err: errorText(err) },
      `Node ${node} status not written`,
    );
  }

  /**
   * Registered nodes: those held here as this replica knows them, others as stored by their
   * holder; and unregistered nodes while they are connected here.
   */
  private async list(): Promise<NodeView[]> {
    const { items } = await this.options.store.list(NODE);
    const views = items.map((n) =>
      nodeView(n, this.local.has(n.metadata.name) ? this.stateOf(n.metadata.name) : stateFromStatus(n.status)),
    );
    const listed = new Set(items.map((n) => n.metadata.name));
    for (const [name, state] of this.nodes)
      if (!listed.has(name) && this.local.has(name) && state.ready)
        views.push(nodeView({ kind: NODE, metadata: { name } }, state));
    return views;
  }
}
