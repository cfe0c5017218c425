import type { Statement } from 'better-sqlite3';
import type { DbHandle } from './db.js';
import type { MetaRecord, MetaStore } from './types.js';

interface Row {
  key: string;
  type: string;
  value: string;
  resource_version: number;
}

/** KubeEdge's `meta` table: key = `<namespace>/<type>/<name>`. Writes are rare: one transaction each. */
export class SqliteMetaStore implements MetaStore {
  private stmts: { get: Statement; list: Statement; upsert: Statement; del: Statement; maxRv: Statement } | undefined;

  constructor(private readonly handle: DbHandle) {}

  put(
    type: string,
    key: string,
    value: unknown,
    resourceVersion?: number,
  ): { resourceVersion: number; changed: boolean; created: boolean } {
    const s = this.prepare();
    const text = JSON.stringify(value);
    const existing = s.get.get(type, key) as Row | undefined;
    if (
      existing &&
      existing.value === text &&
      (resourceVersion === undefined || resourceVersion === existing.resource_version)
    ) {
      return { resourceVersion: existing.resource_version, changed: false, created: false };
    }
    // Local applies have no cloud version: continue the node's own sequence.
    const rv = resourceVersion ?? ((s.maxRv.get() as { rv: number | null }).rv ?? 0) + 1;
    s.upsert.run(key, type, text, rv);
    return { resourceVersion: rv, changed: true, created: !existing };
  }

  get(type: string, key: string): MetaRecord | undefined {
    const row = this.prepare().get.get(type, key) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(type: string): MetaRecord[] {
    return (this.prepare().list.all(type) as Row[]).map(toRecord);
  }

  delete(type: string, key: string): boolean {
    return this.prepare().del.run(type, key).changes > 0;
  }

  private prepare() {
    const db = this.handle.db;
    this.stmts ??= {
      get: db.prepare('SELECT key, type, value, resource_version FROM meta WHERE type = ? AND key = ?'),
      list: db.prepare('SELECT key, type, value, resource_version FROM meta WHERE type = ? ORDER BY key'),
      upsert: db.prepare(
        'INSERT INTO meta (key, type, value, resource_version) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET type = excluded.type, value = excluded.value, resource_version = excluded.resource_version',
      ),
      del: db.prepare('DELETE FROM meta WHERE type = ? AND key = ?'),
      maxRv: db.prepare('SELECT MAX(resource_version) AS rv FROM meta'),
    };
    return this.stmts;
  }

  /** Forgets prepared statements (the database was closed and may be reopened). */
  reset(): void {
    this.stmts = undefined;
  }
}

function toRecord(row: Row): MetaRecord {
  return {
    key: row.key,
    type: row.type,
    value: JSON.parse(row.value) as unknown,
    resourceVersion: row.resource_version,
  };
}
