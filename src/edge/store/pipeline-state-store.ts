import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { PipelineSnapshot } from '../../pipeline/index.js';
import type { DbHandle } from './db.js';
import type { PipelineStateStore } from './types.js';

/**
 * The key of the one row that holds every pipeline's state, as compressed JSON. A row per
 * property (before issue 19) made each save rewrite the table's every page: ~500 KB into the WAL
 * every 30 s for 1,000 properties, a fifth of what the edge wrote; compressed in one row it is a
 * tenth of that. Rows of single keys (older files) are still read.
 */
const ALL = '*';

/** The pipelines' per-property state; written whole, every few seconds and on stop. */
export class SqlitePipelineStateStore implements PipelineStateStore {
  /** What the last save wrote: an unchanged state (an idle edge) is not written again. */
  private last: Buffer | undefined;

  constructor(private readonly handle: DbHandle) {}

  saveAll(snapshots: Record<string, PipelineSnapshot>): void {
    const body = deflateRawSync(JSON.stringify(snapshots));
    if (this.last?.equals(body)) return;
    const db = this.handle.db;
    db.transaction(() => {
      db.prepare('DELETE FROM pipeline_state').run();
      db.prepare('INSERT INTO pipeline_state (key, snapshot) VALUES (?, ?)').run(ALL, body);
    })();
    this.last = body;
  }

  loadAll(): Record<string, unknown> {
    const rows = this.handle.db.prepare('SELECT key, snapshot FROM pipeline_state').all() as Array<{
      key: string;
      snapshot: string | Buffer;
    }>;
    const out: Record<string, unknown> = {};
    for (const row of rows) {
      if (row.key === ALL && Buffer.isBuffer(row.snapshot))
        Object.assign(out, JSON.parse(inflateRawSync(row.snapshot).toString()) as Record<string, unknown>);
      else out[row.key] = JSON.parse(row.snapshot.toString()) as unknown;
    }
    return out;
  }

  delete(keys: string[]): void {
    const all = this.loadAll();
    for (const key of keys) delete all[key];
    this.last = undefined;
    this.saveAll(all as Record<string, PipelineSnapshot>);
  }

  /** The file was closed (or replaced): the next save writes whatever it has. */
  reset(): void {
    this.last = undefined;
  }
}
