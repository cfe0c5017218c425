import type { Logger } from 'pino';
import {
  checkLinkContent,
  type ApplyResult,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import { parseResource, type Message } from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { namespaceOf, type Device, type DeviceModel, type Pod } from '../../model/index.js';
import type { MetaStore, WriteBatcher } from '../store/index.js';
import { diffDeviceSets, resolveDeviceSet } from './device-set.js';
import { metaErrors } from './errors.js';
import { metaKey } from './keys.js';
import { checkPod } from './pod-check.js';
import { checkDocument, checkResolves, type Checked } from './validate.js';

export interface MetaManagerDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  store: MetaStore;
  batcher: WriteBatcher;
  node: string;
  logger: Logger;
}

const endpoint = { name: 'metamanager', group: 'meta' };

/**
 * Keeps what the cloud sent (and what was applied locally) in the MetaStore, answers queries from
 * it while offline, and tells the other modules when the resolved device set changes.
 */
export class MetaManager implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private devices = new Map<string, EdgeDevice>();
  private readonly warned = new Set<string>();
  private undo: Array<() => void> = [];
  /** A refresh asked for by cloud messages, run once for all that arrive in one turn. */
  private pendingRefresh: NodeJS.Immediate | undefined;

  constructor(private readonly deps: MetaManagerDeps) {}

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.devices = resolveDeviceSet(this.deps.store, this.deps.node, this.deps.logger, this.warned);
    this.undo = [
      bus.serve('meta.devices', endpoint, () => {
        if (this.pendingRefresh) this.refresh();
        return [...this.devices.values()];
      }),
      bus.serve('meta.apply', endpoint, (req) => this.apply(req.documents)),
      bus.serve('meta.listDevices', endpoint, () => this.deps.store.list('device').map((r) => r.value as Device)),
      bus.serve(
        'meta.getDevice',
        endpoint,
        (req) => this.deps.store.get('device', metaKey(req.namespace, 'device', req.name))?.value as Device | undefined,
      ),
      bus.serve('meta.listModels', endpoint, () =>
        this.deps.store.list('devicemodel').map((r) => r.value as DeviceModel),
      ),
      bus.serve('meta.delete', endpoint, (req) => this.remove(req.kind, req.namespace, req.name)),
      bus.subscribe('cloud.inbound', endpoint, (msg) => this.onCloud(msg)),
    ];
    this.deps.logger.info({ devices: this.devices.size }, 'device set loaded');
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
    if (this.pendingRefresh) clearImmediate(this.pendingRefresh);
    this.pendingRefresh = undefined;
  }

  /** Validates every document first; any problem rejects the whole request. */
  apply(documents: unknown[]): ApplyResult {
    const checked: Checked[] = [];
    const problems: string[] = [];
    documents.forEach((doc, i) => {
      const r = checkDocument(doc, i);
      problems.push(...r.problems);
      if (r.checked) checked.push(r.checked);
    });
    const models = new Map<string, DeviceModel>();
    for (const c of checked)
      if (c.kind === 'DeviceModel')
        models.set(metaKey(namespaceOf(c.object.metadata), 'devicemodel', c.object.metadata.name), c.object);
    for (const c of checked) {
      if (c.kind !== 'Device') continue;
      const key = metaKey(namespaceOf(c.object.metadata), 'devicemodel', c.object.spec.deviceModelRef.name);
      const problem = checkResolves(
        c.object,
        models.get(key) ?? (this.deps.store.get('devicemodel', key)?.value as DeviceModel | undefined),
      );
      if (problem) problems.push(problem);
    }
    if (problems.length > 0)
      throw metaErrors.create('KEDGE_META_INVALID', `nothing applied:\n${problems.join('\n')}`, {
        detail: { problems },
      });
    // Models first, so that a device never points at a model not yet stored.
    const ordered = [...checked.filter((c) => c.kind === 'DeviceModel'), ...checked.filter((c) => c.kind === 'Device')];
    const result: ApplyResult = { applied: [], warnings: [] };
    for (const c of ordered) {
      const ns = namespaceOf(c.object.metadata);
      const type = c.kind === 'Device' ? 'device' : 'devicemodel';
      const r = this.deps.store.put(type, metaKey(ns, type, c.object.metadata.name), c.object);
      const action = r.created ? 'created' : r.changed ? 'updated' : 'unchanged';
      result.applied.push({
        kind: c.kind,
        namespace: ns,
        name: c.object.metadata.name,
        resourceVersion: String(r.resourceVersion),
        action,
      });
      if (c.kind === 'Device' && c.object.spec.nodeName !== undefined && c.object.spec.nodeName !== this.deps.node) {
        result.warnings.push(
          `Device ${ns}/${c.object.metadata.name} is for node ${c.object.spec.nodeName}, not this node (${this.deps.node}); it is stored but not run here`,
        );
      }
    }
    this.refresh();
    return result;
  }

  remove(kind: 'Device' | 'DeviceModel', namespace: string, name: string): { deleted: boolean } {
    const type = kind === 'Device' ? 'device' : 'devicemodel';
    const key = metaKey(namespace, type, name);
    if (!this.deps.store.get(type, key))
      throw metaErrors.create('KEDGE_META_NOT_FOUND', `${kind} ${namespace}/${name} not found on this node`);
    if (kind === 'DeviceModel') {
      const users = this.deps.store
        .list('device')
        .map((r) => r.value as Device)
        .filter((d) => namespaceOf(d.metadata) === namespace && d.spec.deviceModelRef.name === name);
      if (users.length > 0) {
        throw metaErrors.create(
          'KEDGE_META_IN_USE',
          `DeviceModel ${namespace}/${name} is used by ${users.map((d) => d.metadata.name).join(', ')}`,
        );
      }
    }
    this.deps.store.delete(type, key);
    this.refresh();
    return { deleted: true };
  }

  private async onCloud(msg: Message): Promise<void> {
    try {
      await this.handleCloud(msg);
      this.deps.bus.publish('cloud.ack', { parentMsgId: msg.header.msg_id, ok: true });
    } catch (err) {
      this.deps.logger.warn(
        { resource: msg.route.resource, operation: msg.route.operation, err: errorText(err) },
        'cloud message rejected',
      );
      this.deps.bus.publish('cloud.ack', { parentMsgId: msg.header.msg_id, ok: false, reason: errorText(err) });
    }
  }

  private async handleCloud(msg: Message): Promise<void> {
    const res = msg.route.resource ? parseResource(msg.route.resource) : undefined;
    const op = msg.route.operation;
    if (!res?.name)
      throw metaErrors.create(
        'KEDGE_META_BAD_MESSAGE',
        `resource ${JSON.stringify(msg.route.resource)} has no <namespace>/<type>/<name>`,
      );
    const rv =
      msg.header.resourceversion !== undefined && /^\d+$/.test(msg.header.resourceversion)
        ? Number(msg.header.resourceversion)
        : undefined;
    const key = metaKey(res.namespace, res.type, res.name);
    switch (res.type) {
      case 'device':
      case 'devicemodel':
        if (op === 'delete') this.deps.store.delete(res.type, key);
        else if (op === 'insert' || op === 'update') this.putChecked(res.type, key, msg.content, rv);
        else throw badOp(op, res.type);
        this.refreshSoon();
        return;
      case 'mapperset': {
        if (op !== 'insert' && op !== 'update') throw badOp(op, res.type);
        const checked = checkLinkContent.mapperSet(msg.content);
        if (!checked.ok) throw metaErrors.create('KEDGE_META_BAD_MESSAGE', `mapperset ${key}: ${checked.reason}`);
        this.deps.store.put('mapperset', key, checked.value, rv);
        this.deps.bus.publish('mapperset.changed', checked.value);
        return;
      }
      case 'pod': {
        // Kept whole (the edge runs them offline, after a restart too); Edged gets the node's set.
        if (op === 'delete') this.deps.store.delete('pod', key);
        else if (op === 'insert' || op === 'update') {
          const checked = checkPod(msg.content, `${res.namespace}/${res.name}`);
          if (!checked.pod) throw metaErrors.create('KEDGE_META_INVALID', checked.problems.join('; '));
          this.deps.store.put('pod', key, checked.pod, rv);
        } else throw badOp(op, res.type);
        this.deps.bus.publish('pods.changed', { pods: this.deps.store.list('pod').map((r) => r.value as Pod) });
        return;
      }
      case 'devicetwin': {
        if (op !== 'update') throw badOp(op, res.type);
        const checked = checkLinkContent.desiredTwin(msg.content);
        if (!checked.ok)
          throw metaErrors.create(
            'KEDGE_META_BAD_MESSAGE',
            `devicetwin ${res.namespace}/${res.name}: ${checked.reason}`,
          );
        const { desired } = checked.value;
        this.deps.bus.publish('twin.desired', { deviceId: `${res.namespace}/${res.name}`, desired, source: 'cloud' });
        // Acknowledge only once the twin's write of the desired values is committed.
        await this.deps.batcher.durable();
        return;
      }
      default:
        throw metaErrors.create('KEDGE_META_BAD_MESSAGE', `resource type ${res.type} is not handled by the edge`);
    }
  }

  private putChecked(type: 'device' | 'devicemodel', key: string, content: unknown, rv: number | undefined): void {
    const r = checkDocument(content, 0);
    if (!r.checked) throw metaErrors.create('KEDGE_META_INVALID', `${type} ${key}: ${r.problems.join('; ')}`);
    this.deps.store.put(type, key, r.checked.object, rv);
  }

  /**
   * The cloud sends a node's devices and models one message each (100 devices: 200 messages in a
   * burst); recomputing the whole set per message made start-up quadratic (~2.5 s of CPU for 100
   * devices). One recomputation per turn of the event loop serves the whole burst.
   */
  private refreshSoon(): void {
    this.pendingRefresh ??= setImmediate(() => this.refresh());
  }

  /** Recomputes the device set and announces the difference. */
  private refresh(): void {
    if (this.pendingRefresh) clearImmediate(this.pendingRefresh);
    this.pendingRefresh = undefined;
    const next = resolveDeviceSet(this.deps.store, this.deps.node, this.deps.logger, this.warned);
    const diff = diffDeviceSets(this.devices, next);
    this.devices = next;
    if (diff.added.length + diff.removed.length + diff.updated.length === 0) return;
    this.deps.bus.publish('devices.changed', { devices: [...next.values()], ...diff });
  }
}

function badOp(op: string | undefined, type: string) {
  return metaErrors.create('KEDGE_META_BAD_MESSAGE', `operation ${JSON.stringify(op)} on ${type} is not handled`);
}
