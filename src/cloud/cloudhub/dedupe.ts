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
  private batch: Array<{ node: string; id: string }> = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: LinkStateStore,
    private readonly size: number,
  ) {}

  /** Reads the node's window (again); `has` answers for the node only after this resolved. */
  async load(node: string): Promise<void> {
    await this.writing;
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
    this.batch.push({ node, id });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
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
    this.scheduled = false;
    const batch = this.batch;
    const waiters = this.waiters;
    this.batch = [];
    this.waiters = [];
    if (batch.length === 0) return this.writing;
    this.writing = this.writing
      .then(() => this.state.addHandled(batch))
      .then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (err: unknown) => {
          for (const w of waiters) w.reject(err);
        },
      );
    return this.writing;
  }

  /** A node that was never loaded (a test that handles before connecting) starts empty. */
  private window(node: string): NodeWindow {
    let w = this.nodes.get(node);
    if (!w) this.nodes.set(node, (w = { ids: new Set(), order: [] }));
    return w;
  }
}
