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
 * for an id a restarted cloud, or another replica, would not remember.
 */
export class DedupeWindow {
  private readonly nodes = new Map<string, NodeWindow>();
  private readonly commit: GroupCommit<{ node: string; id: string }>;

  constructor(
    private readonly state: LinkStateStore,
    private readonly size: number,
  ) {
    this.commit = new GroupCommit({ write: (ids) => state.addHandled(ids) });
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
    if (!w.ids.has(id)) {
      w.ids.add(id);
      w.order.push(id);
      // Amortized trim: drop the oldest half-window at once instead of shifting per id.
      if (w.order.length > this.size * 1.5) {
        for (const old of w.order.splice(0, w.order.length - this.size)) w.ids.delete(old);
      }
    }
    return this.commit.add({ node, id });
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

  /** A node that was never loaded (a test that handles before connecting) starts empty. */
  private window(node: string): NodeWindow {
    let w = this.nodes.get(node);
    if (!w) this.nodes.set(node, (w = { ids: new Set(), order: [] }));
    return w;
  }
}
