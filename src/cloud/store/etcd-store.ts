import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { withTimeout } from '../../core/async/index.js';
import { unavailable } from '../etcd/index.js';
import { cloudStoreErrors } from './errors.js';
import {
  checkVersion,
  exists,
  forCreate,
  forUpdate,
  identify,
  notFound,
  withoutVersion,
  withVersion,
} from './object-rules.js';
import { compileSelector } from './selector.js';
import type { ListOptions, ListResult, ObjectStore, StoredObject, WatchEvent, WatchHandle } from './types.js';

export interface EtcdStoreOptions {
  /** A connected client (src/cloud/etcd: every call has a deadline). The store does not close it. */
  client: Etcd3;
  /** Key prefix of this cloud's data (config cloud.etcdPrefix); one etcd may hold several clouds. */
  prefix: string;
  onWatchError?: (kind: string, err: unknown) => void;
  /** How long a watch may take to be established (default 5000 ms; etcd3 sets no limit). */
  watchTimeoutMs?: number;
}

/** Writes retried this often when another replica wrote the same object in between. */
const MAX_ATTEMPTS = 16;
const PAGE = 500;

/**
 * The object store on etcd, for cloud replicas: one key per object
 * (`<prefix>o/<kind>/<namespace>/<name>`, the body without its version), and resourceVersion is
 * etcd's own revision: global, in commit order, and the watch history is etcd's. Every
 * read-check-write is one transaction comparing the key's mod revision with the one read, so
 * two replicas writing one object never lose an update. A write etcd does not confirm in time
 * (no quorum, unreachable) fails with KEDGE_ETCD_UNAVAILABLE: a replica cut off refuses writes
 * instead of diverging.
 */
export class EtcdObjectStore implements ObjectStore {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  constructor(private readonly options: EtcdStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.prefix}o/`;
  }

  /** etcd keeps any kind, as the embedded store does. */
  serves(_kind: string): boolean {
    return true;
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredObject | undefined> {
    this.assertOpen();
    const res = await this.call(`get ${kind} ${namespace}/${name}`, () =>
      this.client.get(this.key(kind, namespace, name)).exec(),
    );
    const kv = res.kvs[0];
    return kv ? decode(kv) : undefined;
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const match = compileSelector(options.labelSelector);
    const prefix =
      options.namespace === undefined ? `${this.prefix}${kind}/` : `${this.prefix}${kind}/${options.namespace}/`;
    const items: StoredObject[] = [];
    let start = prefix;
    let revision: string | undefined;
    for (;;) {
      const page = await this.call(`list ${kind}`, () => {
        const b = this.client
          .getAll()
          .inRange({ start, end: prefixEnd(prefix) })
          .limit(PAGE);
        return (revision ? b.revision(revision) : b).exec();
      });
      revision ??= page.header.revision;
      for (const kv of page.kvs) {
        const o = decode(kv);
        if (match(o.metadata.labels)) items.push(o);
      }
      if (!page.more || page.kvs.length === 0) break;
      start = `${page.kvs[page.kvs.length - 1]!.key.toString()}\u0000`;
    }
    return { items, resourceVersion: revision };
  }

  async create(object: StoredObject): Promise<StoredObject> {
    this.assertOpen();
    const { kind, namespace, name } = identify(object);
    const key = this.key(kind, namespace, name);
    const stored = forCreate(object, namespace);
    const res = await this.call(`create ${kind} ${namespace}/${name}`, () =>
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(stored)))
        .commit(),
    );
    if (!res.succeeded) throw exists(kind, namespace, name);
    return withVersion(stored, res.header.revision);
  }

  update(object: StoredObject): Promise<StoredObject> {
    const { kind, namespace, name } = identify(object);
    return this.readModifyWrite(kind, namespace, name, object.metadata.resourceVersion, (current) =>
      forUpdate(current, object, namespace),
    );
  }

  updateStatus(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    expectedVersion?: string,
  ): Promise<StoredObject> {
    return this.readModifyWrite(kind, namespace, name, expectedVersion, (current) => ({ ...current, status }));
  }

  async delete(
    kind: string,
    namespace: string,
    name: string,
    expectedVersion?: string,
  ): Promise<StoredObject | undefined> {
    this.assertOpen();
    const key = this.key(kind, namespace, name);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(kind, namespace, name);
      if (!current) return undefined;
      checkVersion(current, expectedVersion);
      const res = await this.call(`delete ${kind} ${namespace}/${name}`, () =>
        this.client
          .if(key, 'Mod', '==', current.metadata.resourceVersion!)
          .then(this.client.delete().key(key))
          .commit(),
      );
      if (res.succeeded) return withVersion(current, res.header.revision);
    }
    throw this.contended(kind, namespace, name);
  }

  async watch(kind: string, fromVersion: string, handler: (event: WatchEvent) => void): Promise<WatchHandle> {
    this.assertOpen();
    const from = Number(fromVersion || '0');
    if (!Number.isInteger(from) || from < 0)
      throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_EXPIRED', `watch of ${kind} from version "${fromVersion}"`);
    await this.checkNotCompacted(kind, from);
    const builder = this.client
      .watch()
      .prefix(`${this.prefix}${kind}/`)
      .withPreviousKV()
      .startRevision(String(from + 1));
    const watcher = await this.call(`watch ${kind}`, () =>
      withTimeout(builder.create(), this.options.watchTimeoutMs ?? 5000, `watch of ${kind} not established`),
    );
    this.watchers.add(watcher);
    let stopped = false;
    watcher.on('data', (res) => {
      for (const e of res.events) {
        if (stopped) return;
        try {
          handler(toEvent(e.type, e.kv, e.prev_kv));
        } catch (err) {
          this.options.onWatchError?.(kind, err);
        }
      }
    });
    watcher.on('error', (err) => this.options.onWatchError?.(kind, err));
    return {
      stop: () => {
        stopped = true;
        this.watchers.delete(watcher);
        void watcher.cancel().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const watchers = [...this.watchers];
    this.watchers.clear();
    await Promise.all(watchers.map((w) => w.cancel().catch(() => {})));
  }

  private async readModifyWrite(
    kind: string,
    namespace: string,
    name: string,
    expectedVersion: string | undefined,
    change: (current: StoredObject) => StoredObject | undefined,
  ): Promise<StoredObject> {
    this.assertOpen();
    const key = this.key(kind, namespace, name);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(kind, namespace, name);
      if (!current) throw notFound(kind, namespace, name);
      checkVersion(current, expectedVersion);
      const next = change(current);
      if (!next) return current;
      const body = JSON.stringify(withoutVersion(next));
      const res = await this.call(`write ${kind} ${namespace}/${name}`, () =>
        this.client
          .if(key, 'Mod', '==', current.metadata.resourceVersion!)
          .then(this.client.put(key).value(body))
          .commit(),
      );
      if (res.succeeded) return withVersion(next, res.header.revision);
    }
    throw this.contended(kind, namespace, name);
  }

  /** A watch from a compacted revision fails as the SQLite store's does: KEDGE_CLOUD_STORE_EXPIRED. */
  private async checkNotCompacted(kind: string, from: number): Promise<void> {
    if (from === 0) return;
    try {
      await this.client.get(`${this.prefix}${kind}/`).revision(from).exec();
    } catch (err) {
      const text = String((err as Error)?.message ?? err);
      if (/compacted/.test(text))
        throw cloudStoreErrors.create(
          'KEDGE_CLOUD_STORE_EXPIRED',
          `watch of ${kind} from version ${from}: etcd compacted that history (${text})`,
        );
      if (/future revision/.test(text)) return;
      throw unavailable(`watch of ${kind}`, err);
    }
  }

  private contended(kind: string, namespace: string, name: string): Error {
    return cloudStoreErrors.create(
      'KEDGE_CLOUD_STORE_CONFLICT',
      `${kind} ${namespace}/${name} changed under ${MAX_ATTEMPTS} attempts to write it in a row`,
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`etcd store: ${what}`, err);
    }
  }

  private key(kind: string, namespace: string, name: string): string {
    return `${this.prefix}${kind}/${namespace}/${name}`;
  }

  private assertOpen(): void {
    if (this.closed) throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_CLOSED', 'the cloud store is closed');
  }
}

function decode(kv: IKeyValue): StoredObject {
  return withVersion(JSON.parse(kv.value.toString()) as StoredObject, kv.mod_revision);
}

function toEvent(type: string, kv: IKeyValue, prev: IKeyValue | null | undefined): WatchEvent {
  if (type === 'Delete') {
    const before = prev ? (JSON.parse(prev.value.toString()) as StoredObject) : keyOnly(kv);
    return { type: 'DELETED', object: withVersion(before, kv.mod_revision) };
  }
  return { type: kv.version === '1' ? 'ADDED' : 'MODIFIED', object: decode(kv) };
}

/** A deleted object whose body etcd no longer has (history compacted): what its key says. */
function keyOnly(kv: IKeyValue): StoredObject {
  const parts = kv.key.toString().split('/');
  const [kind, namespace, name] = parts.slice(-3) as [string, string, string];
  return { kind, metadata: { name, namespace } };
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
