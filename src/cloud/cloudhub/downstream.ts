import type { DownstreamItem } from '../../contracts/index.js';
import type { LinkStateStore } from '../store/index.js';

interface NodeQueue {
  /** Key -> newest item not yet acknowledged, in the order keys were last changed. */
  pending: Map<string, DownstreamItem>;
  /** msg_id -> item sent on the current connection and not yet answered. */
  inflight: Map<string, DownstreamItem>;
}

export type AckOutcome = { item: DownstreamItem; current: boolean } | undefined;

/**
 * Cloud-to-edge queue per node, keyed by object: a newer version replaces a pending one, so a
 * node that was away gets each object once, at its newest version. Acknowledged items are
 * recorded in ObjectSync; the rest are sent again on the next connection.
 */
export class DownstreamQueues {
  private readonly nodes = new Map<string, NodeQueue>();

  constructor(
    private readonly state: LinkStateStore,
    /** A failed ObjectSync write costs a resend of the object on the next connection, nothing more. */
    private readonly onError: (node: string, key: string, err: unknown) => void = () => {},
  ) {}

  /** Queues the item, replacing a pending older version of the same object. */
  enqueue(item: DownstreamItem): void {
    const q = this.queue(item.node);
    q.pending.delete(item.key);
    q.pending.set(item.key, item);
  }

  markSent(item: DownstreamItem): void {
    this.queue(item.node).inflight.set(item.message.header.msg_id, item);
  }

  /** The items to send on a new connection (everything pending); forgets what was in flight. */
  resetForConnection(node: string): DownstreamItem[] {
    const q = this.queue(node);
    q.inflight.clear();
    return [...q.pending.values()];
  }

  /** Drops everything queued for the node (its store was replaced: the controllers queue it all again). */
  forget(node: string): void {
    this.nodes.delete(node);
  }

  disconnected(node: string): void {
    this.nodes.get(node)?.inflight.clear();
  }

  /**
   * The edge answered `parentId`. When ok and the item is still the newest for its key, it is no
   * longer pending and ObjectSync records it. An older version's ack records nothing: the newer
   * one is still on its way.
   */
  ack(node: string, parentId: string, ok: boolean): AckOutcome {
    const q = this.nodes.get(node);
    const item = q?.inflight.get(parentId);
    if (!q || !item) return undefined;
    q.inflight.delete(parentId);
    const current = q.pending.get(item.key) === item;
    if (!current) return { item, current };
    q.pending.delete(item.key);
    if (ok) {
      const write = item.remove
        ? this.state.removeAcked(node, item.key)
        : this.state.setAcked(node, item.key, item.token);
      write.catch((err: unknown) => this.onError(node, item.key, err));
    }
    return { item, current };
  }

  pendingCount(node?: string): number {
    if (node !== undefined) return this.nodes.get(node)?.pending.size ?? 0;
    let n = 0;
    for (const q of this.nodes.values()) n += q.pending.size;
    return n;
  }

  private queue(node: string): NodeQueue {
    let q = this.nodes.get(node);
    if (!q) {
      q = { pending: new Map(), inflight: new Map() };
      this.nodes.set(node, q);
    }
    return q;
  }
}
