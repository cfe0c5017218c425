import { GroupCommit } from '../../core/async/index.js';
import type { LinkStateStore } from '../store/index.js';

interface NodeWindow {
  ids: Set<string>;
  order: string[];
}

/**
 * The ids each node's messages were handled under, bounded per node (oldest forgotten first)
 * and persisted. A node's window is read from the link state when the node connects (`load`),
 * so a node that moved from another cloud replica brings its history along. Writes are
 * group-committed: `add` resolves once its id is stored, so an acknowledgement never goes out
 * for an id a restarted cloud, or another replica, would not remember. A handler whose effects
 * cannot be taken back (telemetry reaching consumers) records its id itself, at once and right
 * before those effects (`claim`), so that a crash at any later point never lets the edge's
 * resend be handled a second time.
 */
export class DedupeWindow {
  private readonly nodes = new Map<string, NodeWindow>();
  private readonly commit: GroupCommit<{ node: string; id: string }>;
  /** `node\0id` of the ids added but not stored yet, with the write that stores them. */
  private readonly unwritten = new Map<string, Promise<void>>();

  constructor(
    private readonly state: LinkStateStore,
    private readonly size: number,
  ) {
    this.commit = new GroupCommit({
      write: async (ids) => {
        try {
          await state.addHandled(ids);
        } catch (err) {
          // Not stored: not handled as far as a resend is concerned.
          for (const { node, id } of ids) this.nodes.get(node)?.ids.delete(id);
          throw err;
        }
      },
    });
  }

  /** Reads the node's window (again); `has` answers for the node only after this resolved. */
  async load(node: string): Promise<void> {
    await this.commit.flush();
    const order = await this.state.handledIds(node);
    this.nodes.set(node, { ids: new Set(order), order });
  }

  has(node: string, id: string): boolean {
    return this.window(node).ids.has(id);
  }

  add(node: string, id: string): Promise<void> {
    const w = this.window(node);
    const key = `${node}\u0000${id}`;
    // Added before and not stored yet: resolves with that write.
    const pending = this.unwritten.get(key);
    if (pending) return pending;
    // Claimed (and stored) by its handler already: nothing more to write.
    if (w.ids.has(id)) return Promise.resolve();
    this.remember(w, id);
    const written = this.commit.add({ node, id }).finally(() => this.unwritten.delete(key));
    this.unwritten.set(key, written);
    return written;
  }

  /**
   * Stores the id now, on its own (rejects when it cannot), then remembers it: for
   * `UpstreamMessage.claim`. Resolves once the id is durable.
   */
  async claim(node: string, id: string): Promise<void> {
    if (this.window(node).ids.has(id)) return;
    await this.state.addHandled([{ node, id }]);
    // The window may have been released and loaded again meanwhile: remember in the current one.
    const w = this.window(node);
    if (!w.ids.has(id)) this.remember(w, id);
  }

  /** Forgets an id that was claimed but whose handling failed: the edge's resend is handled anew. */
  async forget(node: string, id: string): Promise<void> {
    const w = this.nodes.get(node);
    if (w?.ids.delete(id)) {
      const i = w.order.lastIndexOf(id);
      if (i >= 0) w.order.splice(i, 1);
    }
    await this.state.removeHandled(node, id);
  }

  /**
   * Drops a node's window from memory (it stays stored and is read again when the node
   * connects): memory then grows with the connected nodes only.
   */
  release(node: string): void {
    this.nodes.delete(node);
  }

  /** Writes what is pending now (also called on stop); one write at a time, in order. */
  flush(): Promise<void> {
    return this.commit.flush();
  }

  private remember(w: NodeWindow, id: string): void {
    w.ids.add(id);
    w.order.push(id);
    // Amortized trim: drop the oldest half-window at once instead of shifting per id.
    if (w.order.length > this.size * 1.5) {
      for (const old of w.order.splice(0, w.order.length - this.size)) w.ids.delete(old);
    }
  }

  /** A node that was never loaded (a test that handles before connecting) starts empty. */
  private window(node: string): NodeWindow {
    let w = this.nodes.get(node);
    if (!w) this.nodes.set(node, (w = { ids: new Set(), order: [] }));
    return w;
  }
}
