export interface GroupCommitOptions<T> {
  /** Stores items together (one transaction); a throw fails every item of this write. */
  write(items: T[]): Promise<void>;
  /** At most this much per write, counted by `weight`; an item is never split (default: no limit). */
  maxPerWrite?: number;
  /** An item's share of `maxPerWrite` (default 1: a count of items). */
  weight?: (item: T) => number;
  /**
   * Writes of different turns may overlap (default false: one write at a time, in order, and what
   * comes meanwhile joins the next). For a store whose writes do not depend on each other's order
   * and whose latency, not its cost, limits the rate (etcd transactions of the publish journal).
   */
  overlap?: boolean;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: what is asked in one turn of the event loop (and, unless writes overlap, while
 * the write before is under way) is stored in one write, so a store's cost grows with writes, not
 * with items (thousands of node claims in a reconnect storm, a handled id per edge message).
 * Without `overlap` writes go one at a time, in the order asked. `add` resolves once its item is
 * stored, so nothing is acknowledged that a restart or another replica would not find.
 */
export class GroupCommit<T> {
  private pending: Array<Pending<T>> = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: GroupCommitOptions<T>) {}

  /** Resolves once `item` is stored; rejects with the error of the write that held it. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  /** Writes what is asked now (also on stop); resolves when every write so far ended (never rejects). */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.length === 0) return this.writing;
    if (this.options.overlap) {
      const written = this.writeAll(this.pending.splice(0));
      this.writing = Promise.all([this.writing, written]).then(() => undefined);
      return this.writing;
    }
    // The batch is taken when the write before it ended: what came meanwhile joins it.
    this.writing = this.writing.then(() => this.writeAll(this.pending.splice(0)));
    return this.writing;
  }

  private async writeAll(batch: Array<Pending<T>>): Promise<void> {
    const { write, maxPerWrite = Number.POSITIVE_INFINITY, weight = () => 1 } = this.options;
    for (let i = 0; i < batch.length; ) {
      const chunk: Array<Pending<T>> = [];
      let size = 0;
      while (i < batch.length && (chunk.length === 0 || size + weight(batch[i]!.item) <= maxPerWrite)) {
        size += weight(batch[i]!.item);
        chunk.push(batch[i++]!);
      }
      try {
        await write(chunk.map((p) => p.item));
        for (const p of chunk) p.resolve();
      } catch (err) {
        for (const p of chunk) p.reject(err);
      }
    }
  }
}
