import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { discovery } from './discovery.js';
import { ApiError, badRequest } from './errors.js';
import { Objects } from './objects.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { PatchError, applyPatch, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { Rbac } from './rbac.js';
import { type ResourceType, groupVersion, typeKey } from './resources.js';
import { SelectorError, fieldMatcher, labelMatcher } from './selectors.js';
import { ExpiredError, type Obj } from './state.js';
import { toTable } from './table.js';
import { type ActiveWatch, serveWatch } from './watch.js';

/**
 * A stand-in for kube-apiserver (none can be installed on these machines), on 127.0.0.1 over
 * HTTPS with a test CA (tls/: a certificate for 127.0.0.1, localhost and kubernetes.default.svc,
 * for tests only). It implements what kedge and kubectl rely on, with the real server's semantics:
 * discovery, CRDs that serve their resources, resourceVersion and 409 on a stale write, the
 * status subresource, generation, pruning, list at an exact revision and in pages, watch streams
 * with bookmarks and 410 Gone, the four patch types, meta.k8s.io Tables, Nodes and Leases.
 * Test knobs: compact() (older revisions become 410), dropWatches() (the server ends every
 * stream, as its watch timeout does), failNext() (a status for matching requests), a bearer
 * token that must be presented, and a log of every request.
 */
export interface KubeApiServerOptions {
  /** Every request must carry `Authorization: Bearer <token>` (this one: a cluster admin). */
  token?: string;
  /** Further tokens and the user each stands for; their requests go through RBAC (rbac.ts). */
  identities?: Record<string, string>;
  bookmarkIntervalMs?: number;
  expiredAsHttpStatus?: boolean;
}

export interface RequestRecord {
  /** The identity of an RBAC-checked token; undefined for the admin token. */
  user?: string | undefined;
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  status?: number;
  body?: unknown;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  times: number;
  /** Only requests of this identity (a token named in `identities`); all when undefined. */
  user: string | undefined;
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export class KubeApiServer {
  readonly objects = new Objects();
  readonly requests: RequestRecord[] = [];
  /** What each RBAC-checked identity was allowed to do (rbac.ts). */
  readonly rbac = new Rbac(this.objects);
  private server: Server | undefined;
  private readonly watches = new Set<ActiveWatch>();
  private readonly faults: Fault[] = [];
  url = '';

  constructor(private readonly options: KubeApiServerOptions = {}) {}

  async start(port = 0): Promise<void> {
    const tls = (f: string) => readFileSync(new URL(`tls/${f}`, import.meta.url));
    this.server = createServer(
      { key: tls('server.key'), cert: tls('server.crt') },
      (req, res) => void this.handle(req, res),
    );
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** A kubeconfig for this server (the token, when one is required). */
  writeKubeconfig(file: string, token = this.options.token): void {
    const user = token ? `    token: ${token}\n` : '    {}\n';
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: ${this.url}\n    certificate-authority-data: ${this.caData}\nusers:\n- name: kedge\n  user:\n${user}contexts:\n- name: double\n  context:\n    cluster: double\n    user: kedge\n    namespace: default\ncurrent-context: double\n`,
    );
  }

  /** The test CA, base64 (a kubeconfig's certificate-authority-data). */
  get caData(): string {
    return readFileSync(new URL('tls/ca.crt', import.meta.url)).toString('base64');
  }

  compact(): void {
    this.objects.state.compact();
  }

  /** Ends every watch stream, as the server does when a watch times out. */
  dropWatches(): void {
    for (const w of [...this.watches]) w.end();
    this.watches.clear();
  }

  get watchCount(): number {
    return this.watches.size;
  }

  /**
   * The next `times` requests matching `method` and `path` (of `user`, when given: one client cut
   * off while the others are not) are answered with `status`.
   */
  failNext(method: string, path: RegExp, status: number, times = 1, user?: string): void {
    this.faults.push({ method, path, status, times, user });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
    };
    this.requests.push(record);
    try {
      const raw = await readBody(req);
      if (raw) record.body = raw;
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      record.user = bearer === undefined ? undefined : this.options.identities?.[bearer];
      const fault = this.faults.find(
        (f) =>
          f.method === record.method && f.path.test(url.pathname) && (f.user === undefined || f.user === record.user),
      );
      if (fault) {
        if (--fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
        throw new ApiError(fault.status, fault.status === 409 ? 'Conflict' : 'InternalError', 'injected by the test');
      }
      const secured = this.options.token !== undefined || this.options.identities !== undefined;
      if (secured && bearer !== this.options.token && record.user === undefined)
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      this.objects.warnings = [];
      const answer = await this.route(req, res, url, raw, record.user);
      if (answer === undefined) return; // a watch stream owns the response
      record.status = answer.status;
      const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
      if (this.objects.warnings.length > 0) headers.Warning = this.objects.warnings.map((w) => `299 - "${w}"`);
      res.writeHead(answer.status, headers);
      res.end(JSON.stringify(answer.body));
    } catch (err) {
      const e =
        err instanceof ApiError
          ? err
          : err instanceof PatchError || err instanceof SelectorError
            ? badRequest(err.message)
            : err instanceof ExpiredError
              ? new ApiError(410, 'Expired', err.message)
              : new ApiError(500, 'InternalError', String(err));
      record.status = e.code;
      if (!res.headersSent) res.writeHead(e.code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(e.status()));
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: string,
    user: string | undefined,
  ): Promise<{ status: number; body: unknown } | undefined> {
    const path = url.pathname.replace(/\/+$/, '');
    const fixed = discovery(this.objects.allTypes(), path, this.url);
    if (fixed !== undefined) return { status: 200, body: fixed };
    if (path === '/openapi/v3') return { status: 200, body: openApiRoot(this.objects.allTypes()) };
    const doc = /^\/openapi\/v3\/(apis?\/.+)$/.exec(path);
    if (doc) return { status: 200, body: openApiDocument(this.objects.allTypes(), doc[1]!) };
    const route = this.parse(path);
    if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const opts = { dryRun: q.get('dryRun') === 'All', fieldValidation: q.get('fieldValidation') };
    const body = (): Obj => {
      try {
        return JSON.parse(raw || 'null') as Obj;
      } catch {
        throw badRequest('the body of the request is not JSON');
      }
    };
    const { type, namespace: ns = '', name, subresource } = route;
    if (user !== undefined) {
      const watch = q.get('watch') === 'true' || q.get('watch') === '1';
      const verbs: Record<string, string> = {
        GET: name ? 'get' : watch ? 'watch' : 'list',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: name ? 'delete' : 'deletecollection',
      };
      this.rbac.authorize(
        {
          user,
          verb: verbs[method] ?? method.toLowerCase(),
          group: type.group,
          resource: subresource ? `${type.plural}/${subresource}` : type.plural,
          namespace: ns,
          name,
        },
        type,
      );
    }
    if (subresource !== undefined && subresource !== 'status')
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (name === undefined) {
      if (method === 'GET' && (q.get('watch') === 'true' || q.get('watch') === '1')) {
        this.watch(route, q, res, req.headers.accept);
        return undefined;
      }
      if (method === 'GET') return { status: 200, body: this.list(route, q, req.headers.accept) };
      if (method === 'POST') return { status: 201, body: this.objects.create(type, ns, body(), opts) };
      if (method === 'DELETE') {
        const items = this.list(route, q, undefined).items as Obj[];
        for (const o of items) this.objects.delete(type, ns || o.metadata.namespace, o.metadata.name, {}, opts);
        return { status: 200, body: { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: {}, items } };
      }
    } else {
      const status = subresource === 'status';
      const shown = (o: Obj): Obj => ({ ...o, apiVersion: groupVersion(type) });
      if (method === 'GET') {
        const o = shown(this.objects.mustGet(type, ns, name));
        return {
          status: 200,
          body: wantsTable(req.headers.accept)
            ? toTable(type, [o], o.metadata.resourceVersion, q.get('includeObject'))
            : o,
        };
      }
      if (method === 'PUT')
        return { status: 200, body: shown(this.objects.update(type, ns, name, body(), status, opts)) };
      if (method === 'PATCH') return this.patch(type, ns, name, status, req.headers['content-type'] ?? '', raw, opts);
      if (method === 'DELETE') {
        const gone = this.objects.delete(type, ns, name, raw ? body() : {}, opts);
        const answer =
          type.deleteReturnsObject || gone.metadata.deletionTimestamp
            ? shown(gone)
            : {
                kind: 'Status',
                apiVersion: 'v1',
                metadata: {},
                status: 'Success',
                details: { name, group: type.group, kind: type.plural, uid: gone.metadata.uid },
              };
        return { status: 200, body: answer };
      }
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
  }

  private patch(
    type: ResourceType,
    ns: string,
    name: string,
    status: boolean,
    contentType: string,
    raw: string,
    opts: { dryRun: boolean; fieldValidation: string | null },
  ): { status: number; body: unknown } {
    const kind = contentType.split(';')[0]!.trim();
    const current = this.objects.get(type, ns, name);
    if (kind === 'application/apply-patch+yaml') {
      const applied = parseYaml(raw) as Obj;
      if (!current) return { status: 201, body: this.objects.create(type, ns, applied, opts) };
      const next = applyPatch(current, applied) as Obj;
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      return { status: 200, body: this.objects.update(type, ns, name, next, status, opts) };
    }
    if (!current) return { status: 404, body: this.objects.mustGet(type, ns, name) };
    const patch = JSON.parse(raw || 'null') as unknown;
    let next: Obj;
    if (kind === 'application/merge-patch+json') next = mergePatch(current, patch) as Obj;
    else if (kind === 'application/json-patch+json') next = jsonPatch(current, patch) as Obj;
    else if (kind === 'application/strategic-merge-patch+json' && !type.custom)
      next = strategicMergePatch(current, patch) as Obj;
    else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${type.custom ? '' : ', application/strategic-merge-patch+json'}`,
      );
    if (next?.metadata?.resourceVersion === undefined)
      next.metadata = { ...next.metadata, resourceVersion: current.metadata.resourceVersion };
    return { status: 200, body: this.objects.update(type, ns, name, next, status, opts) };
  }

  private list(route: Route, q: URLSearchParams, accept: string | undefined): Obj {
    const { type, namespace } = route;
    const matches = and(labelMatcher(q.get('labelSelector')), fieldMatcher(q.get('fieldSelector')));
    const state = this.objects.state;
    let rv = state.rv;
    let after = '';
    const cont = q.get('continue');
    if (cont) {
      const token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')) as { rv: number; after: string };
      ({ rv, after } = token);
    } else if (q.get('resourceVersionMatch') === 'Exact') rv = Number(q.get('resourceVersion'));
    let items = (rv === state.rv ? state.all(typeKey(type)) : state.at(typeKey(type), rv))
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter(matches)
      .map((o) => (type.custom ? { ...o, apiVersion: groupVersion(type) } : withoutTypeMeta(o)))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
      .filter((o) => keyOf(o) > after);
    const limit = Number(q.get('limit') ?? 0);
    const metadata: Obj = { resourceVersion: String(rv) };
    if (limit > 0 && items.length > limit) {
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(JSON.stringify({ rv, after: keyOf(items[items.length - 1]!) })).toString(
        'base64',
      );
    }
    if (wantsTable(accept)) return toTable(type, items, String(rv), q.get('includeObject'));
    return { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata, items };
  }

  private watch(route: Route, q: URLSearchParams, res: ServerResponse, accept: string | undefined): void {
    const timeout = q.get('timeoutSeconds');
    const w = serveWatch(
      this.objects.state,
      {
        type: route.type,
        namespace: route.namespace,
        matches: and(labelMatcher(q.get('labelSelector')), fieldMatcher(q.get('fieldSelector'))),
        resourceVersion: q.get('resourceVersion'),
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: q.get('sendInitialEvents') === 'true',
        timeoutSeconds: timeout === null ? undefined : Number(timeout),
        bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 60_000,
        expiredAsHttpStatus: this.options.expiredAsHttpStatus ?? false,
        asTable: wantsTable(accept)
          ? (o) => toTable(route.type, [o], o.metadata.resourceVersion, q.get('includeObject'))
          : undefined,
      },
      res,
    );
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }

  /** `/api/v1/...` or `/apis/<group>/<version>/...` to the type, namespace, name and subresource. */
  private parse(path: string): Route | undefined {
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
    if (!m) return undefined;
    const gv = m[1] ?? `${m[2]}/${m[3]}`;
    const segs = m[4]!.split('/');
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      const t = this.objects.typeOf(gv, segs[2]!);
      if (t?.namespaced) return { type: t, namespace: segs[1], name: segs[3], subresource: segs[4] };
    }
    const t = this.objects.typeOf(gv, segs[0]!);
    if (!t) return undefined;
    return { type: t, namespace: undefined, name: segs[1], subresource: segs[2] };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const wantsTable = (accept: string | undefined): boolean => !!accept && accept.includes('as=Table');
const keyOf = (o: Obj): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const and =
  (a: (o: Obj) => boolean, b: (o: Obj) => boolean) =>
  (o: Obj): boolean =>
    a(o) && b(o);

/** Items of a built-in type's list carry no apiVersion and kind (the list has them). */
function withoutTypeMeta(o: Obj): Obj {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}
