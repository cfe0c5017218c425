import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { cloudStoreErrors } from '../errors.js';
import type { ListOptions, ListResult, ObjectStore, StoredObject, WatchEvent, WatchHandle } from '../types.js';
import { WatcherSet } from '../watchers.js';
import { isConflict, label, storeError } from './errors.js';
import { KubeApiError, KubeHttp } from './http.js';
import { KEDGE_KINDS, type KubeKind, apiVersionOf, collectionPath, groupVersionPath, objectPath } from './kinds.js';
import { podSpecOver } from './pod-update.js';
import { KindWatch } from './watch.js';

export interface KubernetesStoreOptions {
  kubeConfig: KubeConfig;
  /** Kinds besides kedge's own (the contract tests' test kinds). */
  kinds?: readonly KubeKind[];
  /** Kinds the cluster must serve, or open() fails (default: Device, DeviceModel, Node, Lease). */
  required?: readonly string[];
  onWatchError?: (kind: string, err: unknown, retryInMs?: number) => void;
  /** Items per list page (default 500, as client-go's reflector). */
  pageSize?: number;
  backoff?: { initialMs: number; maxMs: number };
}

interface Served {
  kind: KubeKind;
  status: boolean;
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

const MAX_RETRIES = 5;

/**
 * The cloud store on a Kubernetes API server: every kind is a resource (KubeEdge's CRDs for
 * devices, core/v1 Nodes, coordination.k8s.io Leases) and the API server's resourceVersion,
 * generation, status subresource, preconditions and watch streams give the store contract its
 * semantics. Only what the real API promises is relied on (see the README, "On Kubernetes").
 */
export class KubernetesObjectStore implements ObjectStore {
  private readonly http: KubeHttp;
  private readonly kinds = new Map<string, KubeKind>();
  private readonly served = new Map<string, Served>();
  private readonly watches = new Set<KindWatch>();
  private readonly fanout: WatcherSet;
  /** The last unfiltered list per kind: a watch from its revision starts from these objects. */
  private readonly lastList = new Map<string, { resourceVersion: string; items: StoredObject[] }>();
  private closed = false;
  private watchCount = 0;

  private constructor(private readonly options: KubernetesStoreOptions) {
    this.http = new KubeHttp(options.kubeConfig);
    for (const k of [...KEDGE_KINDS, ...(options.kinds ?? [])]) this.kinds.set(k.kind, k);
    // Each watch is its own key (`<kind>#<n>`): the kind alone goes to the error handler.
    this.fanout = new WatcherSet((key, err) => options.onWatchError?.(key.replace(/#\d+$/, ''), err));
  }

  /** Connects and reads discovery: which kinds the cluster serves, which have a status subresource. */
  static async open(options: KubernetesStoreOptions): Promise<KubernetesObjectStore> {
    const store = new KubernetesObjectStore(options);
    try {
      await store.discover();
    } catch (err) {
      store.http.close();
      throw err;
    }
    return store;
  }

  get server(): string {
    return this.http.serverUrl;
  }

  serves(kind: string): boolean {
    return this.served.has(kind);
  }

  /** The kind has a status subresource (kedge's CRDs do; KubeEdge's own do not). */
  hasStatusSubresource(kind: string): boolean {
    return this.served.get(kind)?.status ?? false;
  }

  private async discover(): Promise<void> {
    const byGv = new Map<string, KubeKind[]>();
    for (const k of this.kinds.values()) byGv.set(groupVersionPath(k), [...(byGv.get(groupVersionPath(k)) ?? []), k]);
    for (const [path, kinds] of byGv) {
      let resources: Array<{ name: string }> = [];
      try {
        resources = (await this.http.request<{ resources?: Array<{ name: string }> }>('GET', path)).resources ?? [];
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) throw this.mapError(err, `discovery ${path}`);
      }
      const names = new Set(resources.map((r) => r.name));
      for (const k of kinds)
        if (names.has(k.plural)) this.served.set(k.kind, { kind: k, status: names.has(`${k.plural}/status`) });
    }
    const missing = (this.options.required ?? ['Device', 'DeviceModel', 'Node', 'Lease']).filter(
      (k) => !this.served.has(k),
    );
    if (missing.length > 0)
      throw cloudStoreErrors.create(
        'KEDGE_CLOUD_STORE_KUBE_NO_CRDS',
        `the API server at ${this.server} does not serve ${missing.map((k) => this.kindOf(k).plural).join(', ')}`,
      );
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredObject | undefined> {
    const k = this.kindOf(kind);
    try {
      return this.toStored(k, await this.http.request<KubernetesObject>('GET', objectPath(k, namespace, name)));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw this.mapError(err, `get ${kind} ${label(namespace, name)}`);
    }
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    const k = this.kindOf(kind);
    const result = await this.listPages(k, options);
    if (options.namespace === undefined && !options.labelSelector) this.lastList.set(kind, result);
    return result;
  }

  /** A consistent list in pages; restarted when the server lets the continue token expire. */
  private async listPages(k: KubeKind, options: ListOptions, exactVersion?: string): Promise<ListResult> {
    for (let attempt = 0; ; attempt++) {
      const items: StoredObject[] = [];
      let rv = '';
      let cont: string | undefined;
      try {
        do {
          const page = await this.http.request<RawList>('GET', collectionPath(k, options.namespace), {
            query: {
              limit: String(this.options.pageSize ?? 500),
              continue: cont,
              labelSelector: options.labelSelector || undefined,
              ...(exactVersion && !cont ? { resourceVersion: exactVersion, resourceVersionMatch: 'Exact' } : {}),
            },
          });
          if (!cont) rv = page.metadata?.resourceVersion ?? '';
          for (const o of page.items ?? []) items.push(this.toStored(k, o));
          cont = page.metadata?.continue || undefined;
        } while (cont);
        return { items, resourceVersion: rv };
      } catch (err) {
        const expired = err instanceof KubeApiError && err.status === 410;
        if (expired && cont && attempt < MAX_RETRIES) continue;
        throw this.mapError(err, `list ${k.kind}`);
      }
    }
  }

  async create(object: StoredObject): Promise<StoredObject> {
    const { k, namespace, name } = this.identify(object);
    const { resourceVersion: _rv, uid: _u, creationTimestamp: _c, generation: _g, ...meta } = object.metadata;
    const body = this.toBody(k, { ...object, metadata: meta });
    let created: StoredObject;
    try {
      created = this.toStored(k, await this.http.request('POST', collectionPath(k, namespace), { body }));
    } catch (err) {
      throw this.mapError(err, `create ${k.kind} ${label(namespace, name)}`);
    }
    // A status subresource drops status on create; the store keeps what it was given.
    if (object.status !== undefined && this.hasStatusSubresource(k.kind))
      return this.updateStatus(k.kind, namespace, name, object.status, created.metadata.resourceVersion);
    return created;
  }

  async update(object: StoredObject): Promise<StoredObject> {
    const { k, namespace, name } = this.identify(object);
    const expected = object.metadata.resourceVersion;
    const subresource = this.hasStatusSubresource(k.kind);
    for (let attempt = 0; ; attempt++) {
      let rv = expected;
      let status: unknown;
      let spec = object.spec;
      if (!rv || !subresource || k.kind === 'Pod') {
        // Without an expected version the latest wins; without a status subresource, a PUT
        // would replace status, so the current one is carried over.
        const current = await this.get(k.kind, namespace, name);
        if (!current)
          throw cloudStoreErrors.create(
            'KEDGE_CLOUD_STORE_NOT_FOUND',
            `${k.kind} ${label(namespace, name)} does not exist`,
          );
        if (rv && rv !== current.metadata.resourceVersion) throw this.conflict(k, namespace, name, rv);
        rv = current.metadata.resourceVersion;
        status = current.status;
        if (k.kind === 'Pod') spec = podSpecOver(current.spec, object.spec);
      }
      const { status: _s, ...rest } = object;
      const body = this.toBody(k, { ...rest, spec, metadata: { ...object.metadata, resourceVersion: rv } });
      if (!subresource && status !== undefined) body.status = status;
      try {
        return this.toStored(k, await this.http.request('PUT', objectPath(k, namespace, name), { body }));
      } catch (err) {
        if (isConflict(err) && !expected && attempt < MAX_RETRIES) continue;
        if (err instanceof KubeApiError && err.status === 404)
          throw cloudStoreErrors.create(
            'KEDGE_CLOUD_STORE_NOT_FOUND',
            `${k.kind} ${label(namespace, name)} does not exist`,
          );
        throw this.mapError(err, `update ${k.kind} ${label(namespace, name)}`);
      }
    }
  }

  /**
   * One JSON patch on the status subresource (the main resource for kinds without one): status
   * replaced whole, and with `expectedVersion` the patched resourceVersion, which the API server
   * takes as a precondition (409 when the object changed since).
   */
  async updateStatus(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    expectedVersion?: string,
  ): Promise<StoredObject> {
    const k = this.kindOf(kind);
    const ops: unknown[] = [];
    if (expectedVersion !== undefined)
      ops.push({ op: 'replace', path: '/metadata/resourceVersion', value: expectedVersion });
    ops.push({ op: 'add', path: '/status', value: status ?? {} });
    const path = objectPath(k, namespace, name, this.hasStatusSubresource(kind) ? 'status' : undefined);
    try {
      const o = await this.http.request<KubernetesObject>('PATCH', path, {
        body: ops,
        contentType: 'application/json-patch+json',
      });
      return this.toStored(k, o);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404)
        throw cloudStoreErrors.create(
          'KEDGE_CLOUD_STORE_NOT_FOUND',
          `${kind} ${label(namespace, name)} does not exist`,
        );
      throw this.mapError(err, `update status of ${kind} ${label(namespace, name)}`);
    }
  }

  async delete(
    kind: string,
    namespace: string,
    name: string,
    expectedVersion?: string,
  ): Promise<StoredObject | undefined> {
    const k = this.kindOf(kind);
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      // kedge is the kubelet of its edge nodes: a Pod goes at once (a bound Pod would otherwise
      // wait, Terminating, for a kubelet to confirm), and its node stops the containers when the
      // delete reaches it over the link, as with the embedded stores.
      ...(k.kind === 'Pod' ? { gracePeriodSeconds: 0 } : {}),
      ...(expectedVersion ? { preconditions: { resourceVersion: expectedVersion } } : {}),
    };
    try {
      const answer = await this.http.request<KubernetesObject & { details?: { uid?: string } }>(
        'DELETE',
        objectPath(k, namespace, name),
        { body },
      );
      // Built-in types answer a Status instead of the object: what it names is what was deleted.
      if (answer?.kind === 'Status')
        return {
          apiVersion: apiVersionOf(k),
          kind: k.kind,
          metadata: { name, namespace: k.namespaced ? namespace : '', uid: answer.details?.uid },
        };
      return this.toStored(k, answer);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw this.mapError(err, `delete ${kind} ${label(namespace, name)}`);
    }
  }

  async watch(kind: string, fromVersion: string, handler: (event: WatchEvent) => void): Promise<WatchHandle> {
    this.assertOpen();
    const k = this.kindOf(kind);
    const seed = await this.seedFor(k, fromVersion);
    const key = `${kind}#${++this.watchCount}`;
    const handle = this.fanout.add(key, handler, []);
    const w = new KindWatch({
      kc: this.options.kubeConfig,
      path: collectionPath(k),
      seed,
      list: () => this.listPages(k, {}),
      toStored: (o) => this.toStored(k, o),
      deliver: (e) => this.fanout.emit(key, e),
      onError: (err, retryInMs) => this.options.onWatchError?.(kind, this.mapError(err, `watch ${kind}`), retryInMs),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
    });
    this.watches.add(w);
    await w.start();
    return {
      stop: () => {
        w.stop();
        this.watches.delete(w);
        handle.stop();
      },
    };
  }

  /**
   * What the caller had at `fromVersion`: the list it just read (the usual list-then-watch), or
   * the kind as it was at that revision (KEDGE_CLOUD_STORE_EXPIRED once compacted away). From
   * "0" or "": nothing, and the server sends what exists as ADDED.
   */
  private async seedFor(k: KubeKind, fromVersion: string): Promise<{ items: StoredObject[]; resourceVersion: string }> {
    if (!fromVersion || fromVersion === '0') return { items: [], resourceVersion: '0' };
    const listed = this.lastList.get(k.kind);
    if (listed?.resourceVersion === fromVersion) {
      this.lastList.delete(k.kind);
      return listed;
    }
    return this.listPages(k, {}, fromVersion);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.fanout.clear();
    this.http.close();
  }

  private kindOf(kind: string): KubeKind {
    const k = this.kinds.get(kind);
    if (!k)
      throw cloudStoreErrors.create(
        'KEDGE_CLOUD_STORE_UNKNOWN_KIND',
        `no Kubernetes resource is known for kind ${kind}`,
      );
    return k;
  }

  private identify(object: StoredObject): { k: KubeKind; namespace: string; name: string } {
    if (
      !object ||
      typeof object.kind !== 'string' ||
      typeof object.metadata?.name !== 'string' ||
      !object.metadata.name
    )
      throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_INVALID', 'object without kind or metadata.name');
    this.assertOpen();
    const k = this.kindOf(object.kind);
    return { k, namespace: k.namespaced ? (object.metadata.namespace ?? '') : '', name: object.metadata.name };
  }

  /** As the store's users see objects: kind and apiVersion always set, no managedFields. */
  private toStored(k: KubeKind, o: KubernetesObject): StoredObject {
    const { managedFields: _m, ...meta } = (o.metadata ?? {}) as Record<string, unknown>;
    return {
      ...(o as Record<string, unknown>),
      apiVersion: apiVersionOf(k),
      kind: k.kind,
      metadata: { ...meta, name: String(meta.name ?? ''), namespace: k.namespaced ? String(meta.namespace ?? '') : '' },
    } as StoredObject;
  }

  private toBody(k: KubeKind, o: StoredObject): Record<string, unknown> {
    const { namespace, ...meta } = o.metadata;
    return {
      ...o,
      apiVersion: apiVersionOf(k),
      kind: k.kind,
      metadata: k.namespaced ? { ...meta, namespace } : meta,
    };
  }

  private conflict(k: KubeKind, namespace: string, name: string, expected: string) {
    return cloudStoreErrors.create(
      'KEDGE_CLOUD_STORE_CONFLICT',
      `${k.kind} ${label(namespace, name)}: resourceVersion ${expected} is not the current one`,
    );
  }

  private mapError(err: unknown, what: string): Error {
    return storeError(err, what, this.server);
  }

  private assertOpen(): void {
    if (this.closed) throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_CLOSED', 'the cloud store is closed');
  }
}
