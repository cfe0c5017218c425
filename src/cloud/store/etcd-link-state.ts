import type { Etcd3 } from 'etcd3';
import { unavailable } from '../etcd/index.js';
import { HANDLED_WINDOW, type LinkStateStore } from './types.js';

/** etcd refuses transactions of more than 128 operations by default (--max-txn-ops). */
const TXN_OPS = 100;

/**
 * ObjectSync and the dedupe window in etcd, shared by every cloud replica: whichever replica a
 * node reconnects to knows what it acknowledged and which messages were handled. One key per
 * acknowledged object (`<prefix>l/acked/<node>/<key>` = token) and one per handled message id
 * (`<prefix>l/handled/<node>/<id>`); a batch of ids is one transaction (one raft entry). The
 * window is kept in creation order: once a node holds a quarter more than `windowSize` ids,
 * the oldest are deleted down to `windowSize`. The id of the edge store a node's acknowledgements
 * belong to is `<prefix>l/store/<node>`; a new store replaces it and deletes the node's
 * acknowledgements in one transaction.
 */
export class EtcdLinkState implements LinkStateStore {
  private readonly acked: string;
  private readonly handled: string;
  private readonly stores: string;
  private readonly counts = new Map<string, number>();
  private readonly trimming = new Set<string>();

  constructor(
    private readonly client: Etcd3,
    /** Key prefix of this cloud (config cloud.etcdPrefix). */
    prefix: string,
    private readonly windowSize = HANDLED_WINDOW,
  ) {
    this.acked = `${prefix}l/acked/`;
    this.handled = `${prefix}l/handled/`;
    this.stores = `${prefix}l/store/`;
  }

  async ackedObjects(node: string): Promise<Map<string, string>> {
    const p = `${this.acked}${node}/`;
    const res = await this.call(`acked objects of ${node}`, () => this.client.getAll().prefix(p).exec());
    return new Map(res.kvs.map((kv) => [kv.key.toString().slice(p.length), kv.value.toString()]));
  }

  async setAcked(node: string, key: string, token: string): Promise<void> {
    await this.call(`ack of ${key} by ${node}`, () =>
      this.client.put(`${this.acked}${node}/${key}`).value(token).exec(),
    );
  }

  async removeAcked(node: string, key: string): Promise<void> {
    await this.call(`ack removal of ${key} by ${node}`, () =>
      this.client.delete().key(`${this.acked}${node}/${key}`).exec(),
    );
  }

  async handledIds(node: string): Promise<string[]> {
    const p = `${this.handled}${node}/`;
    const keys = await this.orderedKeys(node);
    this.counts.set(node, keys.length);
    return keys.map((k) => k.slice(p.length));
  }

  /**
   * The node's id keys, oldest first: by create revision, and within one transaction (one
   * revision) by the position the value records.
   */
  private async orderedKeys(node: string): Promise<string[]> {
    const res = await this.call(`handled ids of ${node}`, () =>
      this.client.getAll().prefix(`${this.handled}${node}/`).exec(),
    );
    return res.kvs
      .map((kv) => ({ key: kv.key.toString(), rev: Number(kv.create_revision), pos: Number(kv.value.toString()) || 0 }))
      .sort((a, b) => a.rev - b.rev || a.pos - b.pos)
      .map((k) => k.key);
  }

  async addHandled(entries: Array<{ node: string; id: string }>): Promise<void> {
    for (let i = 0; i < entries.length; i += TXN_OPS) {
      const chunk = entries.slice(i, i + TXN_OPS);
      await this.call(`record of ${chunk.length} handled message ids`, () =>
        this.client
          .if(`${this.handled}`, 'Create', '>', -1)
          .then(...chunk.map((e, pos) => this.client.put(`${this.handled}${e.node}/${e.id}`).value(String(pos))))
          .commit(),
      );
    }
    const nodes = new Set<string>();
    for (const e of entries) {
      this.counts.set(e.node, (this.counts.get(e.node) ?? 0) + 1);
      nodes.add(e.node);
    }
    for (const node of nodes) {
      if ((this.counts.get(node) ?? 0) > this.windowSize * 1.25 && !this.trimming.has(node)) await this.trim(node);
    }
  }

  async removeHandled(node: string, id: string): Promise<void> {
    const res = await this.call(`removal of handled id ${id} of ${node}`, () =>
      this.client.delete().key(`${this.handled}${node}/${id}`).exec(),
    );
    const n = this.counts.get(node);
    if (n !== undefined) this.counts.set(node, Math.max(0, n - Number(res.deleted)));
  }

  async storeOf(node: string): Promise<string | undefined> {
    const v = await this.call(`store id of ${node}`, () => this.client.get(`${this.stores}${node}`).string());
    return v ?? undefined;
  }

  async resetNode(node: string, storeId: string): Promise<void> {
    await this.call(`reset of ${node} for store ${storeId}`, () =>
      this.client
        .if(`${this.stores}${node}`, 'Create', '>', -1)
        .then(
          this.client.delete().prefix(`${this.acked}${node}/`),
          this.client.put(`${this.stores}${node}`).value(storeId),
        )
        .commit(),
    );
  }

  /** Deletes the node's oldest ids down to the window size. */
  private async trim(node: string): Promise<void> {
    this.trimming.add(node);
    try {
      const p = `${this.handled}${node}/`;
      const keys = await this.orderedKeys(node);
      const drop = keys.slice(0, Math.max(0, keys.length - this.windowSize));
      for (let i = 0; i < drop.length; i += TXN_OPS) {
        const chunk = drop.slice(i, i + TXN_OPS);
        await this.call(`trim of ${node}'s handled ids`, () =>
          this.client
            .if(p, 'Create', '>', -1)
            .then(...chunk.map((k) => this.client.delete().key(k)))
            .commit(),
        );
      }
      this.counts.set(node, keys.length - drop.length);
    } finally {
      this.trimming.delete(node);
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`etcd link state: ${what}`, err);
    }
  }
}
