import type { Logger } from 'pino';
import {
  checkPodStatusContent,
  LinkResource,
  linkResource,
  type AckContent,
  type CloudChannels,
  type CloudRequests,
  type UpstreamMessage,
} from '../../contracts/index.js';
import type { Bus, Endpoint } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import { newMessage, Operation } from '../../core/message/index.js';
import type { Module } from '../../core/module/index.js';
import { NodeObjects, nodeOf } from '../objectsync/index.js';
import {
  sameSpec,
  type LinkStateStore,
  type ObjectStore,
  type StoredObject,
  type WatchEvent,
  type WatchHandle,
} from '../store/index.js';
import { podForEdge, podToken as tokenOf } from './for-edge.js';

export interface PodControllerOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  /** Any ObjectStore: the embedded one, or Kubernetes' (Pods bound to the node by the API server). */
  store: ObjectStore;
  linkState: LinkStateStore;
  logger: Logger;
}

const KIND = 'Pod';
const PREFIX = `${LinkResource.pod}/`;

const keyOf = (p: StoredObject) => `${PREFIX}${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;

/**
 * KubeEdge's EdgeController for Pods: sends each node the Pods bound to it (`spec.nodeName`) as
 * `pod` objects (the Pod without status; delete when it is gone or moved), resends what the node
 * has not acknowledged when it reconnects (ObjectSync), and writes the status the node reports
 * into the Pod's status, unless the status is of an older Pod of the same name. With cloud
 * replicas, the replica holding a node's connection sends it its Pods (as DeviceController does).
 */
export class PodController implements Module {
  readonly name = 'podcontroller';
  readonly group = 'podcontroller';
  private readonly endpoint: Endpoint = { name: this.name, group: this.group };
  private readonly log: Logger;
  private readonly pods = new Map<string, StoredObject>();
  /** Nodes whose connection this replica holds (only those are sent Pods), and what each was sent. */
  private readonly nodeObjects: NodeObjects;
  private watch: WatchHandle | undefined;
  private undo: Array<() => void> = [];

  constructor(private readonly options: PodControllerOptions) {
    this.log = options.logger.child({ module: this.name });
    this.nodeObjects = new NodeObjects({
      linkState: options.linkState,
      // Only Pods (ObjectSync also holds DeviceController's and EdgeController's objects).
      owns: (key) => key.startsWith(PREFIX),
      sync: (node, sent) => this.syncNode(node, sent),
      failed: (node, err) =>
        this.log.warn({ node, err: errorText(err) }, 'Pods not sent to the node; sent when it connects again'),
    });
  }

  async start(): Promise<void> {
    const { store, bus } = this.options;
    const listed = await store.list(KIND);
    for (const p of listed.items) this.pods.set(keyOf(p), p);
    this.watch = await store.watch(KIND, listed.resourceVersion, (e) => this.onPod(e));
    this.undo = [
      bus.subscribe('link.connected', this.endpoint, (e) => this.nodeObjects.connectedNode(e.node)),
      bus.subscribe('link.disconnected', this.endpoint, (e) => this.nodeObjects.disconnectedNode(e.node)),
      bus.serve('upstream.podstatus', this.endpoint, (req) => this.onStatus(req)),
    ];
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    await this.nodeObjects.stop();
    this.watch?.stop();
    this.watch = undefined;
  }

  private onPod(e: WatchEvent): void {
    const key = keyOf(e.object);
    const before = this.pods.get(key);
    const deleting = e.object.metadata.deletionTimestamp !== undefined;
    if (e.type === 'MODIFIED' && !deleting && sameSpec(before, e.object)) {
      this.pods.set(key, e.object);
      return;
    }
    if (e.type === 'DELETED' || deleting) this.pods.delete(key);
    else this.pods.set(key, e.object);
    if (e.type !== 'DELETED' && deleting) this.finishDelete(e.object);
    for (const node of new Set([before && nodeOf(before), nodeOf(e.object)]))
      if (node) this.nodeObjects.reconcile(node);
  }

  /**
   * A Pod deleted with a grace period (kubectl delete pod) stays, Terminating, until the kubelet
   * of its node confirms; kedge is that kubelet for its edge nodes. The node is sent the delete
   * (when connected, or when it connects: it is no longer wanted there) and the Pod goes now.
   */
  private finishDelete(p: StoredObject): void {
    const { namespace = 'default', name } = p.metadata;
    this.options.store
      .delete(KIND, namespace, name)
      .catch((err: unknown) =>
        this.log.warn({ pod: `${namespace}/${name}`, err: errorText(err) }, 'a Terminating Pod was not deleted'),
      );
  }

  /** Queues for `node` the Pods it lacks or holds in an older version, and deletes of the rest. */
  private syncNode(node: string, sent: Map<string, string>): void {
    const wanted = new Map<string, StoredObject>();
    for (const p of this.pods.values()) if (nodeOf(p) === node) wanted.set(keyOf(p), p);
    for (const [key, p] of wanted) {
      const token = tokenOf(p);
      const before = sent.get(key);
      if (before === token) continue;
      sent.set(key, token);
      this.send(
        node,
        key,
        token,
        before === undefined ? Operation.insert : Operation.update,
        podForEdge(p),
        p.metadata.resourceVersion,
      );
    }
    for (const key of [...sent.keys()]) {
      if (wanted.has(key)) continue;
      sent.delete(key);
      const [, namespace, name] = key.split('/') as [string, string, string];
      this.send(node, key, '', Operation.delete, { metadata: { name, namespace } }, undefined, true);
    }
  }

  private send(
    node: string,
    key: string,
    token: string,
    operation: string,
    content: unknown,
    resourceVersion: string | undefined,
    remove = false,
  ): void {
    const [, namespace, name] = key.split('/') as [string, string, string];
    const message = newMessage(
      {
        source: this.name,
        group: 'resource',
        operation,
        resource: linkResource(node, namespace, LinkResource.pod, name),
      },
      content,
      resourceVersion ? { resourceVersion } : {},
    );
    this.options.bus.publish('link.send', { node, key, token, message, ...(remove ? { remove } : {}) });
  }

  private async onStatus(req: UpstreamMessage): Promise<AckContent> {
    const checked = checkPodStatusContent(req.message.content);
    if (!checked.ok) {
      this.log.warn(
        { node: req.node, code: 'KEDGE_PODCONTROLLER_BAD_CONTENT' },
        `podstatus ${req.resource.namespace}/${req.resource.name} from node ${req.node} refused: ${checked.reason}`,
      );
      return { ok: false, reason: checked.reason };
    }
    const { namespace, name } = req.resource;
    const pod = await this.options.store.get(KIND, namespace, name);
    // A status of a Pod since deleted, re-created or moved describes nothing stored: dropped.
    if (!pod || pod.metadata.uid !== checked.value.uid || nodeOf(pod) !== req.node) return { ok: true };
    await this.options.store.updateStatus(KIND, namespace, name, checked.value.status);
    return { ok: true };
  }
}
