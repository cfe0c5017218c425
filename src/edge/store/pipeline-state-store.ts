import type { PipelineSnapshot } from '../../pipeline/index.js';
import type { DbHandle } from './db.js';
import type { PipelineStateStore } from './types.js';

/** The pipelines' per-property state; written whole, every few seconds and on stop. */
export class SqlitePipelineStateStore implements PipelineStateStore {
  constructor(private readonly handle: DbHandle) {}

  saveAll(snapshots: Record<string, PipelineSnapshot>): void {
    const db = this.handle.db;
    const insert = db.prepare('INSERT INTO pipeline_state (key, snapshot) VALUES (?, ?)');
    db.transaction(() => {
      db.prepare('DELETE FROM pipeline_state').run();
      for (const [key, snap] of Object.entries(snapshots)) insert.run(key, JSON.stringify(snap));
    })();
  }

  loadAll(): Record<string, unknown> {
    const rows = this.handle.db.prepare('SELECT key, snapshot FROM pipeline_state').all() as Array<{
      key: string;
      snapshot: string;
    }>;
    const out: Record<string, unknown> = {};
    for (const row of rows) out[row.key] = JSON.parse(row.snapshot) as unknown;
    return out;
  }

  delete(keys: string[]): void {
    const db = this.handle.db;
    const del = db.prepare('DELETE FROM pipeline_state WHERE key = ?');
    db.transaction(() => {
      for (const key of keys) del.run(key);
    })();
  }
}
