import { randomUUID } from 'node:crypto';
import { ApiError, STALE, alreadyExists, badRequest, conflict, invalid, notFound } from './errors.js';
import { type CrdSpec, type ResourceType, builtinTypes, groupVersion, typeKey, typesOfCrd } from './resources.js';
import { admitPod, defaultPod, forbiddenPodUpdate, podGracePeriod } from './pods.js';
import { pruneObject, validateObject } from './schema.js';
import { ClusterState, type Obj } from './state.js';

/**
 * The object semantics of the API server, apart from HTTP: create, update (main resource and
 * status subresource), delete with preconditions and finalizers, optimistic concurrency on
 * resourceVersion, generation, pruning and validation, namespaces that must exist, and CRDs that
 * start serving their resources once created.
 */
export interface WriteOptions {
  dryRun?: boolean;
  /** Strict: unknown fields are an error; otherwise they are dropped and reported as warnings. */
  fieldValidation?: string | null;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export class Objects {
  readonly state = new ClusterState();
  /** `${groupVersion}/${plural}` -> type */
  private readonly types = new Map<string, ResourceType>();
  warnings: string[] = [];

  constructor() {
    for (const t of builtinTypes()) this.register(t);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      this.create(this.typeOf('v1', 'namespaces')!, '', { metadata: { name: ns } });
  }

  typeOf(gv: string, plural: string): ResourceType | undefined {
    return this.types.get(`${gv}/${plural}`);
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  private register(t: ResourceType): void {
    this.types.set(`${groupVersion(t)}/${t.plural}`, t);
  }

  get(t: ResourceType, ns: string, name: string): Obj | undefined {
    return this.state.get(typeKey(t), t.namespaced ? ns : '', name);
  }

  mustGet(t: ResourceType, ns: string, name: string): Obj {
    const o = this.get(t, ns, name);
    if (!o) throw notFound(t, name);
    return o;
  }

  create(t: ResourceType, ns: string, body: Obj, opts: WriteOptions = {}): Obj {
    const o = this.normalize(t, ns, body, opts);
    const meta = o.metadata;
    if (!meta.name && typeof meta.generateName === 'string')
      meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    this.checkName(t, meta.name);
    if (t.namespaced) this.requireNamespace(ns);
    if (this.get(t, ns, meta.name)) throw alreadyExists(t, meta.name);
    for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'deletionTimestamp', 'generation', 'selfLink'])
      delete meta[k];
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (t.generation) meta.generation = 1;
    if (t.status && (t.custom || t.kind === 'Deployment' || t.kind === 'Service')) delete o.status;
    if (t.kind === 'Namespace') o.status = { phase: 'Active' };
    if (t.kind === 'Pod') {
      defaultPod(o);
      admitPod(o);
    }
    if (t.kind === 'CustomResourceDefinition') this.prepareCrd(o);
    this.validate(t, o);
    if (opts.dryRun) return o;
    const stored = this.state.commit(typeKey(t), 'ADDED', o);
    if (t.kind === 'CustomResourceDefinition') this.serveCrd(stored);
    return stored;
  }

  /** PUT of the main resource (`status: false`) or of the status subresource. */
  update(t: ResourceType, ns: string, name: string, body: Obj, status: boolean, opts: WriteOptions = {}): Obj {
    if (status && !t.status) throw notFound(t, name);
    const current = this.mustGet(t, ns, name);
    const o = this.normalize(t, ns, body, opts);
    if (o.metadata.name !== name)
      throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
    const rv = o.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (!t.unconditionalUpdate)
        throw invalid(t, name, ['metadata.resourceVersion: Invalid value: 0x0: must be specified for an update']);
    } else if (rv !== current.metadata.resourceVersion) throw conflict(t, name, STALE);
    if (o.metadata.uid && o.metadata.uid !== current.metadata.uid)
      throw conflict(
        t,
        name,
        `Precondition failed: UID in precondition: ${current.metadata.uid}, UID in object meta: ${o.metadata.uid}`,
      );
    if (t.kind === 'Pod' && !status) defaultPod(o);
    const next = status ? { ...current, status: o.status } : this.mainUpdate(t, current, o);
    if (next.status === undefined) delete next.status;
    const forbidden = t.kind === 'Pod' && !status ? forbiddenPodUpdate(current, next) : undefined;
    if (forbidden) throw invalid(t, name, [forbidden]);
    if (t.kind === 'CustomResourceDefinition') this.prepareCrd(next);
    this.validate(t, next);
    if (same(current, next)) return current;
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0)
      return this.state.commit(typeKey(t), 'DELETED', next);
    const stored = this.state.commit(typeKey(t), 'MODIFIED', next);
    if (t.kind === 'CustomResourceDefinition') this.serveCrd(stored);
    return stored;
  }

  private mainUpdate(t: ResourceType, current: Obj, o: Obj): Obj {
    const keep = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
    const metadata = { ...o.metadata };
    for (const k of keep) {
      if (current.metadata[k] === undefined) delete metadata[k];
      else metadata[k] = current.metadata[k];
    }
    const next: Obj = { ...o, metadata };
    if (t.status) next.status = current.status;
    if (t.generation && content(current, t.status) !== content(next, t.status))
      metadata.generation = (current.metadata.generation ?? 0) + 1;
    return next;
  }

  delete(t: ResourceType, ns: string, name: string, options: Obj = {}, opts: WriteOptions = {}): Obj {
    const current = this.mustGet(t, ns, name);
    const pre = (options.preconditions ?? {}) as { resourceVersion?: string; uid?: string };
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
      throw conflict(
        t,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    if (pre.uid !== undefined && pre.uid !== current.metadata.uid)
      throw conflict(
        t,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    if (opts.dryRun) return current;
    const grace = t.kind === 'Pod' ? podGracePeriod(current, options) : 0;
    if (grace > 0) {
      if (current.metadata.deletionTimestamp) return current;
      const at = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      const marked = {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: at, deletionGracePeriodSeconds: grace },
      };
      return this.state.commit(typeKey(t), 'MODIFIED', marked);
    }
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return current;
      const marked = {
        ...current,
        metadata: {
          ...current.metadata,
          deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          deletionGracePeriodSeconds: 0,
        },
      };
      return this.state.commit(typeKey(t), 'MODIFIED', marked);
    }
    if (t.kind === 'CustomResourceDefinition') this.unserveCrd(current);
    return this.state.commit(typeKey(t), 'DELETED', current);
  }

  /** Body checks every write shares: kind, apiVersion, namespace, pruning, strict fields. */
  private normalize(t: ResourceType, ns: string, body: Obj, opts: WriteOptions): Obj {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the body must be an object');
    const o: Obj = JSON.parse(JSON.stringify(body));
    if (o.kind !== undefined && o.kind !== t.kind)
      throw badRequest(`the kind of the object (${o.kind}) does not match the resource (${t.kind})`);
    if (o.apiVersion !== undefined && o.apiVersion !== groupVersion(t))
      throw badRequest(
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${groupVersion(t)})`,
      );
    o.kind = t.kind;
    o.apiVersion = groupVersion(t);
    o.metadata = { ...(o.metadata ?? {}) };
    if (t.namespaced) {
      if (o.metadata.namespace && o.metadata.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      o.metadata.namespace = ns;
    } else delete o.metadata.namespace;
    for (const [k, v] of Object.entries((o.metadata.labels ?? {}) as Record<string, unknown>))
      if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
        throw invalid(t, o.metadata.name ?? '', [`metadata.labels: Invalid value: "${String(v)}": label ${k}`]);
    if (t.schema) {
      const unknown = pruneObject(o, t.schema);
      if (unknown.length > 0) {
        if (opts.fieldValidation === 'Strict')
          throw badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u.slice(1)}"`).join(', ')}`);
        if (opts.fieldValidation !== 'Ignore')
          this.warnings.push(...unknown.map((u) => `unknown field "${u.slice(1)}"`));
      }
    }
    return o;
  }

  private validate(t: ResourceType, o: Obj): void {
    if (!t.schema) return;
    const errors = validateObject(o, t.schema);
    if (errors.length > 0) throw invalid(t, o.metadata.name, errors);
  }

  private checkName(t: ResourceType, name: unknown): void {
    if (typeof name !== 'string' || name === '')
      throw invalid(t, '', ['metadata.name: Required value: name or generateName is required']);
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
      throw invalid(t, name, [
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      ]);
  }

  private requireNamespace(ns: string): void {
    if (!ns) throw badRequest('the namespace of the object is missing');
    if (!this.state.get('namespaces.', '', ns))
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
  }

  private prepareCrd(o: Obj): void {
    const spec = o.spec as CrdSpec | undefined;
    const errors: string[] = [];
    if (!spec?.group) errors.push('spec.group: Required value');
    if (!spec?.names?.plural || !spec.names.kind) errors.push('spec.names: Required value');
    if (spec?.group && spec.names?.plural && o.metadata.name !== `${spec.names.plural}.${spec.group}`)
      errors.push(`metadata.name: Invalid value: "${o.metadata.name}": must be spec.names.plural+"."+spec.group`);
    const storage = (spec?.versions ?? []).filter((v) => v.storage);
    if (storage.length !== 1)
      errors.push('spec.versions: Invalid value: must have exactly one version marked as storage version');
    if (errors.length > 0)
      throw invalid(this.typeOf('apiextensions.k8s.io/v1', 'customresourcedefinitions')!, o.metadata.name, errors);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    o.status = {
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          reason: 'NoConflicts',
          message: 'no conflicts found',
          lastTransitionTime: now,
        },
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
          lastTransitionTime: now,
        },
      ],
      acceptedNames: { ...spec!.names, singular: spec!.names.singular ?? spec!.names.kind.toLowerCase() },
      storedVersions: storage.map((v) => v.name),
    };
  }

  private serveCrd(crd: Obj): void {
    this.unserveCrd(crd, false);
    for (const t of typesOfCrd(crd.spec as CrdSpec)) this.register(t);
  }

  private unserveCrd(crd: Obj, dropObjects = true): void {
    const spec = crd.spec as CrdSpec;
    for (const [key, t] of this.types)
      if (t.custom && t.group === spec.group && t.plural === spec.names.plural) this.types.delete(key);
    if (!dropObjects) return;
    const key = `${spec.names.plural}.${spec.group}`;
    for (const o of this.state.all(key)) this.state.commit(key, 'DELETED', o);
    this.state.dropType(key);
  }
}

/** What decides generation: everything but metadata (and status when it is a subresource). */
function content(o: Obj, statusIsSubresource: boolean): string {
  const { metadata: _m, status, ...rest } = o;
  return JSON.stringify(canonical(statusIsSubresource ? rest : { ...rest, status }));
}

function same(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) =>
    JSON.stringify(canonical({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } }));
  return strip(a) === strip(b);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.keys(v as Obj)
      .filter((k) => (v as Obj)[k] !== undefined)
      .sort()
      .map((k) => [k, canonical((v as Obj)[k])]),
  );
}
