export interface GroupCommitOptions<T> {
  /** Stores items together (one transaction); a throw fails every item of this write. */
  write(items: T[]): Promise<void>;
  /** At most this much per write, counted by `weight`; an item is never split (default: no limit). */
  maxPerWrite?: number;
  /** An item's share of `maxPerWrite` (default 1: a count of items). */
  weight?: (item: T) => number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: what is asked while a write is under way, or in one turn of the event loop, is
 * stored in one write, so a store's cost grows with writes, not with items (thousands of node
 * claims in a reconnect storm, a handled id per edge message). Writes go one at a time, in the
 * order asked. `add` resolves once its item is stored, so nothing is acknowledged that a restart
 * or another replica would not find.
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
