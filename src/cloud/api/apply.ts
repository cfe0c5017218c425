import { invalidDocuments, validationResult, type ApplyResult, type ValidationResult } from '../../contracts/index.js';
import { formatDiagnostic } from '../../core/yaml/index.js';
import { checkForApply, type ApplyCheck, type Source } from '../../model/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';
import { apiErrors } from '../../contracts/index.js';

const MAX_DOCUMENTS = 5000;
const MAX_SOURCES = 100;

/**
 * The body of `POST /api/v1/apply` and `/api/v1/validate` as sources: `{ documents: [...] }`
 * (objects, as the CLI sends them; diagnostics name `documents[i]`) or `{ sources: [{ file,
 * content }] }` (YAML text, as the dashboard's editor sends it; diagnostics point into the text).
 */
export function sourcesOf(body: unknown): Source[] {
  const b = body as { documents?: unknown; sources?: unknown } | null;
  if (Array.isArray(b?.sources)) {
    if (b.sources.length > MAX_SOURCES)
      throw apiErrors.create(
        'KEDGE_API_BAD_REQUEST',
        `${b.sources.length} sources in one request; at most ${MAX_SOURCES}`,
      );
    return b.sources.map((s: unknown, i: number) => {
      const src = s as { file?: unknown; content?: unknown } | null;
      if (typeof src?.content !== 'string')
        throw apiErrors.create('KEDGE_API_BAD_REQUEST', `sources[${i}].content must be the YAML text`);
      return {
        file: typeof src.file === 'string' && src.file !== '' ? src.file : `sources[${i}]`,
        content: src.content,
      };
    });
  }
  const documents = b?.documents;
  if (!Array.isArray(documents))
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      'body must be { "documents": [ <Device, DeviceModel or Pod>, ... ] } or { "sources": [ { "file", "content" } ] }',
    );
  if (documents.length > MAX_DOCUMENTS)
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      `${documents.length} documents in one request; at most ${MAX_DOCUMENTS}`,
    );
  return documents.map((doc, i) => ({ file: `documents[${i}]`, content: JSON.stringify(doc, null, 2) }));
}

/** `POST /api/v1/validate`: the checks of apply, nothing applied. */
export async function validateBody(store: ObjectStore, body: unknown): Promise<ValidationResult> {
  return validationResult(await checkStored(store, sourcesOf(body)));
}

/**
 * `POST /api/v1/apply`: validates the documents with the checks of `kedge validate` (models
 * already in the store count for references), rejects the whole request on any error, then
 * creates or updates each object, models first.
 */
export async function applyDocuments(store: ObjectStore, body: unknown): Promise<ApplyResult> {
  const check = await checkStored(store, sourcesOf(body));
  if (check.errors.length > 0) throw invalidDocuments(check);
  const applied: ApplyResult['applied'] = [];
  for (const obj of [...check.models, ...check.devices, ...check.pods] as unknown as StoredObject[])
    applied.push(await applyOne(store, obj));
  return {
    applied,
    warnings: check.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic),
  };
}

async function checkStored(store: ObjectStore, sources: Source[]): Promise<ApplyCheck> {
  return checkForApply(sources, (await store.list('DeviceModel')).items);
}

async function applyOne(store: ObjectStore, input: StoredObject): Promise<ApplyResult['applied'][number]> {
  const namespace = input.metadata.namespace ?? 'default';
  const { status: _status, ...rest } = input;
  const { resourceVersion: _rv, ...meta } = input.metadata;
  const obj: StoredObject = { ...rest, kind: input.kind, metadata: { ...meta, namespace } };
  const existing = await store.get(obj.kind, namespace, obj.metadata.name);
  const base = { kind: obj.kind, namespace, name: obj.metadata.name };
  if (!existing) {
    const created = await store.create(obj);
    return { ...base, resourceVersion: created.metadata.resourceVersion ?? '', action: 'created' };
  }
  const updated = await store.update(obj);
  const action = updated.metadata.resourceVersion === existing.metadata.resourceVersion ? 'unchanged' : 'updated';
  return { ...base, resourceVersion: updated.metadata.resourceVersion ?? '', action };
}
