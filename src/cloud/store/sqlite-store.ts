import type { Database, Statement } from 'better-sqlite3';
import { openCloudDatabase } from './db.js';
import { cloudStoreErrors } from './errors.js';
import { checkVersion, exists, forCreate, forUpdate, identify, notFound } from './object-rules.js';
import { compileSelector } from './selector.js';
import type {
  ListOptions,
  ListResult,
  ObjectStore,
  StoredObject,
  WatchEvent,
  WatchEventType,
  WatchHandle,
} from './types.js';
import { WatcherSet } from './watchers.js';

export interface SqliteStoreOptions {
  /** `:memory:` for tests. */
  file: string;
  /** Watch history kept (events); older versions answer KEDGE_CLOUD_STORE_EXPIRED. */
  historyLimit?: number;
  onWatchError?: (kind: string, err: unknown) => void;
}

interface ObjectRow {
  rv: number;
  body: string;
}

/**
 * The embedded store: one table of objects, one of events (the watch history), one global
 * counter. Every write is one transaction that bumps the counter, writes the object and appends
 * the event, so versions are gap-free in commit order and a watch from any kept version replays
 * exactly what happened.
 */
export class SqliteObjectStore implements ObjectStore {
  private readonly db: Database;
  private readonly watchers: WatcherSet;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly historyLimit: number;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    this.db = openCloudDatabase(options.file);
    this.stmts = prepare(this.db);
    this.historyLimit = options.historyLimit ?? 10_000;
    this.watchers = new WatcherSet(options.onWatchError);
  }

  /** The open database, shared with the link bookkeeping (one file per cloud). */
  get database(): Database {
    return this.db;
  }

  serves(_kind: string): boolean {
    return true;
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredObject | undefined> {
    this.assertOpen();
    const row = this.stmts.get.get(kind, namespace, name) as ObjectRow | undefined;
    return row ? (JSON.parse(row.body) as StoredObject) : undefined;
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const match = compileSelector(options.labelSelector);
    const read = this.db.transaction(() => {
      const rows = (
        options.namespace === undefined ? this.stmts.listAll.all(kind) : this.stmts.listNs.all(kind, options.namespace)
      ) as ObjectRow[];
      return { rows, rv: this.currentVersion() };
    });
    const { rows, rv } = read();
    const items = rows.map((r) => JSON.parse(r.body) as StoredObject).filter((o) => match(o.metadata.labels));
    return { items, resourceVersion: String(rv) };
  }

  async create(object: StoredObject): Promise<StoredObject> {
    const { kind, namespace, name } = identify(object);
    return this.write(kind, () => {
      if (this.stmts.get.get(kind, namespace, name)) throw exists(kind, namespace, name);
      return this.commit(forCreate(object, namespace), 'ADDED');
    });
  }

  async update(object: StoredObject): Promise<StoredObject> {
    const { kind, namespace, name } = identify(object);
    return this.write(kind, () => {
      const current = this.mustGet(kind, namespace, name, object.metadata.resourceVersion);
      const next = forUpdate(current, object, namespace);
      return next ? this.commit(next, 'MODIFIED') : current;
    });
  }

  async updateStatus(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    expectedVersion?: string,
  ): Promise<StoredObject> {
    return this.write(kind, () => {
      const current = this.mustGet(kind, namespace, name, expectedVersion);
      return this.commit({ ...current, status }, 'MODIFIED');
    });
  }

  async delete(
    kind: string,
    namespace: string,
    name: string,
    expectedVersion?: string,
  ): Promise<StoredObject | undefined> {
    return this.write(kind, () => {
      const row = this.stmts.get.get(kind, namespace, name) as ObjectRow | undefined;
      if (!row) return undefined;
      const current = JSON.parse(row.body) as StoredObject;
      checkVersion(current, expectedVersion);
      return this.commit(current, 'DELETED');
    });
  }

  async watch(kind: string, fromVersion: string, handler: (event: WatchEvent) => void): Promise<WatchHandle> {
    this.assertOpen();
    const from = Number(fromVersion || '0');
    const { compacted } = this.stmts.counter.get() as { compacted: number };
    if (!Number.isInteger(from) || from < compacted) {
      throw cloudStoreErrors.create(
        'KEDGE_CLOUD_STORE_EXPIRED',
        `watch of ${kind} from version ${fromVersion}: history starts after version ${compacted}`,
      );
    }
    const rows = this.stmts.eventsSince.all(kind, from) as Array<{ type: WatchEventType; body: string }>;
    const backlog = rows.map((r) => ({ type: r.type, object: JSON.parse(r.body) as StoredObject }));
    return this.watchers.add(kind, handler, backlog);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.db.close();
  }

  private write<T>(kind: string, fn: () => T): Promise<T> {
    try {
      this.assertOpen();
      const pending: WatchEvent[] = [];
      this.pendingEvents = pending;
      const result = this.db.transaction(fn)();
      for (const e of pending) this.watchers.emit(kind, e);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    } finally {
      this.pendingEvents = undefined;
    }
  }

  private pendingEvents: WatchEvent[] | undefined;

  /** Inside a transaction: bumps the counter, stores the object (or deletes it), appends the event. */
  private commit(object: StoredObject, type: WatchEventType): StoredObject {
    const rv = this.currentVersion() + 1;
    const stored: StoredObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    const body = JSON.stringify(stored);
    const ns = stored.metadata.namespace ?? '';
    if (type === 'DELETED') this.stmts.del.run(stored.kind, ns, stored.metadata.name);
    else this.stmts.upsert.run(stored.kind, ns, stored.metadata.name, rv, body);
    this.stmts.bump.run(rv);
    this.stmts.addEvent.run(rv, stored.kind, type, body);
    if (rv % 256 === 0) this.compact(rv);
    this.pendingEvents?.push({ type, object: JSON.parse(body) as StoredObject });
    return stored;
  }

  private compact(rv: number): void {
    const keepFrom = rv - this.historyLimit;
    if (keepFrom <= 0) return;
    this.stmts.dropEvents.run(keepFrom);
    this.stmts.setCompacted.run(keepFrom);
  }

  private mustGet(kind: string, namespace: string, name: string, expectedVersion: string | undefined): StoredObject {
    const row = this.stmts.get.get(kind, namespace, name) as ObjectRow | undefined;
    if (!row) throw notFound(kind, namespace, name);
    const current = JSON.parse(row.body) as StoredObject;
    checkVersion(current, expectedVersion);
    return current;
  }

  private currentVersion(): number {
    return (this.stmts.counter.get() as { rv: number }).rv;
  }

  private assertOpen(): void {
    if (this.closed) throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_CLOSED', 'the cloud store is closed');
  }
}

function prepare(db: Database) {
  const s = (sql: string): Statement => db.prepare(sql);
  return {
    get: s('SELECT rv, body FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    listAll: s('SELECT rv, body FROM objects WHERE kind = ? ORDER BY namespace, name'),
    listNs: s('SELECT rv, body FROM objects WHERE kind = ? AND namespace = ? ORDER BY name'),
    upsert: s(
      'INSERT INTO objects (kind, namespace, name, rv, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, namespace, name) DO UPDATE SET rv = excluded.rv, body = excluded.body',
    ),
    del: s('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    counter: s('SELECT rv, compacted FROM counter WHERE id = 1'),
    bump: s('UPDATE counter SET rv = ? WHERE id = 1'),
    addEvent: s('INSERT INTO events (rv, kind, type, body) VALUES (?, ?, ?, ?)'),
    eventsSince: s('SELECT type, body FROM events WHERE kind = ? AND rv > ? ORDER BY rv'),
    dropEvents: s('DELETE FROM events WHERE rv <= ?'),
    setCompacted: s('UPDATE counter SET compacted = ? WHERE id = 1'),
  };
}
