import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../../core/json/index.js';
import { cloudStoreErrors } from './errors.js';
import type { StoredObject } from './types.js';

/**
 * The write rules every ObjectStore shares (Kubernetes' semantics): what create stamps, what an
 * update keeps, when generation moves, what a version mismatch says. The backends differ only in
 * how they make a read-check-write atomic.
 */

export function identify(object: StoredObject): { kind: string; namespace: string; name: string } {
  if (
    !object ||
    typeof object.kind !== 'string' ||
    !object.kind ||
    typeof object.metadata?.name !== 'string' ||
    !object.metadata.name
  ) {
    throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_INVALID', 'object without kind or metadata.name');
  }
  return { kind: object.kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name };
}

/** The object as create stores it: a new uid, creation time and generation 1; no version (the backend sets it). */
export function forCreate(object: StoredObject, namespace: string): StoredObject {
  const { resourceVersion: _rv, generation: _g, uid: _u, creationTimestamp: _c, ...meta } = object.metadata;
  return {
    ...object,
    metadata: { ...meta, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1 },
  };
}

/**
 * The object an update of `current` with `object` stores: metadata and spec replaced, status,
 * uid and creation time kept, generation bumped when anything but metadata changed. Undefined
 * when nothing changed at all (the update is a no-op and returns `current`).
 */
export function forUpdate(current: StoredObject, object: StoredObject, namespace: string): StoredObject | undefined {
  const { resourceVersion: _rv, generation: _g, uid: _u, creationTimestamp: _c, ...meta } = object.metadata;
  const { status: _s, metadata: _m, ...rest } = object;
  const next: StoredObject = {
    ...rest,
    kind: current.kind,
    metadata: {
      ...meta,
      namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
    },
    ...(current.status === undefined ? {} : { status: current.status }),
  };
  if (sameExceptVersion(current, next)) return undefined;
  if (canonicalJson(withoutMeta(current)) !== canonicalJson(withoutMeta(next)))
    next.metadata.generation = (current.metadata.generation ?? 0) + 1;
  return next;
}

export function checkVersion(current: StoredObject, expected: string | undefined): void {
  if (expected !== undefined && expected !== current.metadata.resourceVersion) {
    throw cloudStoreErrors.create(
      'KEDGE_CLOUD_STORE_CONFLICT',
      `${current.kind} ${label(current.metadata.namespace ?? '', current.metadata.name)}: resourceVersion ${expected} is not the current ${current.metadata.resourceVersion}`,
    );
  }
}

export function notFound(kind: string, namespace: string, name: string): Error {
  return cloudStoreErrors.create('KEDGE_CLOUD_STORE_NOT_FOUND', `${kind} ${label(namespace, name)} does not exist`);
}

export function exists(kind: string, namespace: string, name: string): Error {
  return cloudStoreErrors.create('KEDGE_CLOUD_STORE_EXISTS', `${kind} ${label(namespace, name)} exists already`);
}

/** The body a backend keeps: everything but the version, which the backend itself tracks. */
export function withoutVersion(object: StoredObject): StoredObject {
  const { resourceVersion: _rv, ...meta } = object.metadata;
  return { ...object, metadata: meta as StoredObject['metadata'] };
}

export function withVersion(object: StoredObject, version: string | number): StoredObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(version) } };
}

function withoutMeta(o: StoredObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function sameExceptVersion(current: StoredObject, next: StoredObject): boolean {
  const strip = (o: StoredObject) => canonicalJson({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(current) === strip(next);
}

export function label(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
