import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import {
  checkLinkContent,
  cloudTopics,
  LinkResource,
  linkResource,
  type AckContent,
  type CloudChannels,
  type CloudRequests,
  type NodeView,
  type UpstreamMessage,
  type NodeStatusPayload,
} from '../../contracts/index.js';
import type { Bus, Endpoint } from '../../core/bus/index.js';
import { systemClock, type Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { newMessage, Operation } from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { WriteCoalescer } from '../devicecontroller/index.js';
import {
  sameSpec,
  type LinkStateStore,
  type ObjectStore,
  type StoredObject,
  type WatchEvent,
  type WatchHandle,
} from '../store/index.js';
import { mapperSetFor, mapperSetToken } from './mappers.js';
import { nodeView, stateFromStatus, statusOf, type NodeState } from './node-state.js';
import { KeyedChain } from '../../core/async/index.js';

export interface EdgeControllerOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  store: ObjectStore;
  linkState: LinkStateStore;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Heartbeats are written to the Node status at most this often (default 60 s); ready changes at once. */
  heartbeatWriteIntervalMs?: number;
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

  constructor(private readonly options: EdgeControllerOptions) {
    this.log = options.logger.child({ module: this.name });
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const { store, bus } = this.options;
    this.failures ??= new Counter({
      name: 'kedge_edgecontroller_status_write_failures_total',
      help: 'Node status writes that failed',
      registers: [this.options.registry],
    });
    this.heartbeats = new WriteCoalescer(
      this.clock,
      this.options.heartbeatWriteIntervalMs ?? 60_000,
      (node) => this.writeStatus(node),
      (node, err) => this.writeFailed(node, err),
    );
    for (const n of (await store.list(NODE)).items) {
      const state = stateFromStatus(n.status);
      this.nodes.set(n.metadata.name, state);
      // Nobody is connected to a cloud that just started.
      if (state.ready) await this.setReady(n.metadata.name, false, 'the cloud restarted');
    }
    const devices = await store.list('Device');
    for (const d of devices.items) this.indexDevice({ type: 'ADDED', object: d });
    this.watch = await store.watch('Device', devices.resourceVersion, (e) => this.onDevice(e));
    this.undo.push(
      bus.subscribe('link.connected', this.endpoint, (e) =>
        this.serial(e.node, () => this.setReady(e.node, true, undefined, e.ts)),
      ),
    );
    this.undo.push(
      bus.subscribe('link.disconnected', this.endpoint, (e) =>
        this.serial(e.node, () => this.setReady(e.node, false, e.reason)),
      ),
    );
    this.undo.push(bus.subscribe('link.heartbeat', this.endpoint, (e) => this.onHeartbeat(e.node, e.ts)));
    this.undo.push(
      bus.serve('upstream.mapperstatus', this.endpoint, (req) => this.serial(req.node, () => this.onMapperStatus(req))),
    );
    this.undo.push(bus.serve('nodes.list', this.endpoint, () => this.list()));
    for (const node of new Set([...this.nodes.keys(), ...this.devicesByNode.keys()])) await this.syncMappers(node);
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    this.watch?.stop();
    this.watch = undefined;
    await this.chains.idle();
    await this.heartbeats?.flush();
    this.heartbeats = undefined;
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

  /** Records the node's mapper set in its Node spec and sends it when it differs from what the node has. */
  private async syncMappers(node: string): Promise<void> {
    const set = mapperSetFor(this.devicesByNode.get(node)?.values() ?? []);
    const token = mapperSetToken(set);
    await this.ensureNode(node, set.mappers);
    const key = `${LinkResource.mapperSet}/${NS}/${node}`;
    const sent = this.sentSets.get(node) ?? this.options.linkState.ackedObjects(node).get(key);
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

  private async ensureNode(node: string, mappers: Array<{ name: string; protocols: string[] }>): Promise<StoredObject> {
    const { store } = this.options;
    const existing = await store.get(NODE, '', node);
    if (!existing) {
      const state = this.stateOf(node);
      const created = await store.create({
        apiVersion: 'kedge.io/v1',
        kind: NODE,
        metadata: { name: node, namespace: '' },
        spec: { mappers },
      });
      return store.updateStatus(NODE, '', node, statusOf(state)).catch(() => created);
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
    this.log.info({ node, ready, reason }, ready ? 'node ready' : 'node not ready');
    try {
      await this.ensureNode(node, mapperSetFor(this.devicesByNode.get(node)?.values() ?? []).mappers);
      await this.writeStatus(node);
    } catch (err) {
      this.writeFailed(node, err);
    }
    const payload: NodeStatusPayload = { node, ready, ...(reason ? { reason } : {}), ts };
    await this.options.bus
      .request('cloudmqtt.publish', { topic: cloudTopics.nodeStatus(node), payload, qos: 1, retain: true })
      .catch((err: unknown) => this.log.warn({ node, err: errorText(err) }, 'node availability not published'));
  }

  private onHeartbeat(node: string, ts: number): void {
    this.stateOf(node).lastHeartbeat = ts;
    this.heartbeats?.mark(node);
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
    await this.ensureNode(req.node, mapperSetFor(this.devicesByNode.get(req.node)?.values() ?? []).mappers);
    await this.writeStatus(req.node);
    return { ok: true };
  }

  private async writeStatus(node: string): Promise<void> {
    const state = this.nodes.get(node);
    if (!state) return;
    await this.options.store.updateStatus(NODE, '', node, statusOf(state));
  }

  private writeFailed(node: string, err: unknown): void {
    this.failures?.inc();
    this.log.warn(
      { node, code: 'KEDGE_EDGECONTROLLER_STATUS_WRITE', err: errorText(err) },
      `Node ${node} status not written`,
    );
  }

  private async list(): Promise<NodeView[]> {
    const { items } = await this.options.store.list(NODE);
    return items.map((n) => nodeView(n, this.stateOf(n.metadata.name)));
  }
}
