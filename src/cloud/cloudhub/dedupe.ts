import type { LinkStateStore } from '../store/index.js';

interface NodeWindow {
  ids: Set<string>;
  order: string[];
}

/**
 * The ids each node's messages were handled under, bounded per node (oldest forgotten first)
 * and persisted. Writes are group-committed: `add` resolves once its id is in the file, so an
 * acknowledgement never goes out for an id a restarted cloud would not remember.
 */
export class DedupeWindow {
  private readonly nodes = new Map<string, NodeWindow>();
  private batch: Array<{ node: string; id: string }> = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly state: LinkStateStore,
    private readonly size: number,
  ) {}

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
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Drops a node's window from memory (it stays in the file and is read again on the node's next
   * message): memory then grows with the connected nodes only. Pending ids are written first so
   * the file is complete when it is read back.
   */
  release(node: string): void {
    if (this.batch.length > 0) this.flush();
    this.nodes.delete(node);
  }

  /** Writes what is pending now (also called on stop). */
  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    const waiters = this.waiters;
    this.batch = [];
    this.waiters = [];
    try {
      this.state.addHandled(batch);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  private window(node: string): NodeWindow {
    let w = this.nodes.get(node);
    if (!w) {
      const order = this.state.handledIds(node);
      w = { ids: new Set(order), order };
      this.nodes.set(node, w);
    }
    return w;
  }
}
