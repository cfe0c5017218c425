import type { Database, Statement } from 'better-sqlite3';
import { HANDLED_WINDOW, type LinkStateStore } from './types.js';

/**
 * ObjectSync and the dedupe window in the cloud's SQLite file. The window is bounded per node:
 * once a node holds a quarter more than `windowSize` ids, the oldest are removed down to
 * `windowSize` (trimming in steps keeps the cost off every single insert).
 */
export class SqliteLinkState implements LinkStateStore {
  private readonly s: Record<
    | 'acked'
    | 'setAcked'
    | 'removeAcked'
    | 'handled'
    | 'count'
    | 'addHandled'
    | 'trim'
    | 'storeOf'
    | 'setStore'
    | 'forget'
    | 'removeHandled',
    Statement
  >;
  private readonly addBatch: (entries: Array<{ node: string; id: string }>) => void;
  private readonly reset: (node: string, storeId: string) => void;
  private readonly counts = new Map<string, number>();

  constructor(
    db: Database,
    private readonly windowSize = HANDLED_WINDOW,
  ) {
    this.s = {
      acked: db.prepare('SELECT key, token FROM object_sync WHERE node = ?'),
      setAcked: db.prepare(
        'INSERT INTO object_sync (node, key, token) VALUES (?, ?, ?) ON CONFLICT (node, key) DO UPDATE SET token = excluded.token',
      ),
      removeAcked: db.prepare('DELETE FROM object_sync WHERE node = ? AND key = ?'),
      handled: db.prepare('SELECT msg_id FROM handled_ids WHERE node = ? ORDER BY seq'),
      count: db.prepare('SELECT COUNT(*) AS n FROM handled_ids WHERE node = ?'),
      addHandled: db.prepare('INSERT INTO handled_ids (node, msg_id) VALUES (?, ?)'),
      storeOf: db.prepare('SELECT store_id FROM node_store WHERE node = ?'),
      setStore: db.prepare(
        'INSERT INTO node_store (node, store_id) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET store_id = excluded.store_id',
      ),
      forget: db.prepare('DELETE FROM object_sync WHERE node = ?'),
      removeHandled: db.prepare('DELETE FROM handled_ids WHERE node = ? AND msg_id = ?'),
      trim: db.prepare(
        'DELETE FROM handled_ids WHERE node = ? AND seq <= (SELECT seq FROM handled_ids WHERE node = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ),
    };
    this.reset = db.transaction((node: string, storeId: string) => {
      this.s.forget.run(node);
      this.s.setStore.run(node, storeId);
    });
    this.addBatch = db.transaction((entries: Array<{ node: string; id: string }>) => {
      for (const e of entries) {
        this.s.addHandled.run(e.node, e.id);
        const n = this.countOf(e.node) + 1;
        if (n > this.windowSize * 1.25) {
          this.s.trim.run(e.node, e.node, this.windowSize);
          this.counts.set(e.node, this.windowSize);
        } else {
          this.counts.set(e.node, n);
        }
      }
    });
  }

  private countOf(node: string): number {
    let n = this.counts.get(node);
    if (n === undefined) this.counts.set(node, (n = (this.s.count.get(node) as { n: number }).n));
    return n;
  }

  async ackedObjects(node: string): Promise<Map<string, string>> {
    const rows = this.s.acked.all(node) as Array<{ key: string; token: string }>;
    return new Map(rows.map((r) => [r.key, r.token]));
  }

  async setAcked(node: string, key: string, token: string): Promise<void> {
    this.s.setAcked.run(node, key, token);
  }

  async removeAcked(node: string, key: string): Promise<void> {
    this.s.removeAcked.run(node, key);
  }

  async handledIds(node: string): Promise<string[]> {
    return (this.s.handled.all(node) as Array<{ msg_id: string }>).map((r) => r.msg_id);
  }

  async addHandled(entries: Array<{ node: string; id: string }>): Promise<void> {
    if (entries.length > 0) this.addBatch(entries);
  }

  async removeHandled(node: string, id: string): Promise<void> {
    const removed = this.s.removeHandled.run(node, id).changes;
    const n = this.counts.get(node);
    if (n !== undefined) this.counts.set(node, Math.max(0, n - removed));
  }

  async storeOf(node: string): Promise<string | undefined> {
    return (this.s.storeOf.get(node) as { store_id: string } | undefined)?.store_id;
  }

  async resetNode(node: string, storeId: string): Promise<void> {
    this.reset(node, storeId);
  }
}
