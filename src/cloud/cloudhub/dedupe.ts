import type { LinkStateStore } from '../store/index.js';

interface NodeWindow {
  ids: Set<string>;
  order: string[];
}

/**
 * The ids each node's messages were handled under, bounded per node (oldest forgotten first)
 * and persisted. Writes are group-committed: `add` resolves once its id is in the file, so an
 * acknowledgement never goes out for an id a restarted cloud would not remember. A handler whose
 * effects cannot be taken back (telemetry reaching consumers) records its id itself, at once and
 * right before those effects (`claimNow`), so that a crash at any later point never lets the
 * edge's resend be handled a second time.
 */
export class DedupeWindow {
  private readonly nodes = new Map<string, NodeWindow>();
  private batch: Array<{ node: string; id: string }> = [];
  /** `node\0id` of the ids in `batch` (in memory, not in the file yet). */
  private readonly unwritten = new Set<string>();
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
    const key = `${node}\u0000${id}`;
    // Claimed (and written) by its handler already: nothing more to write.
    if (w.ids.has(id) && !this.unwritten.has(key)) return Promise.resolve();
    if (!w.ids.has(id)) {
      this.remember(w, id);
      this.batch.push({ node, id });
      this.unwritten.add(key);
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Writes the id now (throws when it cannot), then remembers it: for `UpstreamMessage.claim`. */
  claimNow(node: string, id: string): void {
    const w = this.window(node);
    if (w.ids.has(id)) return;
    this.state.addHandled([{ node, id }]);
    this.remember(w, id);
  }

  /** Forgets an id that was claimed but whose handling failed: the edge's resend is handled anew. */
  forget(node: string, id: string): void {
    const w = this.nodes.get(node);
    if (w?.ids.delete(id)) {
      const i = w.order.lastIndexOf(id);
      if (i >= 0) w.order.splice(i, 1);
    }
    this.state.removeHandled(node, id);
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
    this.unwritten.clear();
    try {
      this.state.addHandled(batch);
      for (const w of waiters) w.resolve();
    } catch (err) {
      // Not in the file: not handled as far as a resend is concerned.
      for (const { node, id } of batch) this.nodes.get(node)?.ids.delete(id);
      for (const w of waiters) w.reject(err);
    }
  }

  private remember(w: NodeWindow, id: string): void {
    w.ids.add(id);
    w.order.push(id);
    // Amortized trim: drop the oldest half-window at once instead of shifting per id.
    if (w.order.length > this.size * 1.5) {
      for (const old of w.order.splice(0, w.order.length - this.size)) w.ids.delete(old);
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
