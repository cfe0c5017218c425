import type { ApplyResult } from '../../contracts/index.js';
import { formatDiagnostic } from '../../core/yaml/index.js';
import { validateSources, type Source } from '../../model/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';
import { apiErrors } from '../../contracts/index.js';

const MAX_DOCUMENTS = 5000;

/**
 * `POST /api/v1/apply`: validates the documents with the checks of `kedge validate` (models
 * already in the store count for references), rejects the whole request on any error, then
 * creates or updates each object, models first.
 */
export async function applyDocuments(store: ObjectStore, body: unknown): Promise<ApplyResult> {
  const documents = (body as { documents?: unknown } | null)?.documents;
  if (!Array.isArray(documents))
    throw apiErrors.create('KEDGE_API_BAD_REQUEST', 'body must be { "documents": [ <Device or DeviceModel>, ... ] }');
  if (documents.length > MAX_DOCUMENTS)
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      `${documents.length} documents in one request; at most ${MAX_DOCUMENTS}`,
    );
  const sources: Source[] = documents.map((doc, i) => ({
    file: `documents[${i}]`,
    content: JSON.stringify(doc, null, 2),
  }));
  const context = await storedModelsNotIn(store, documents);
  const result = await validateSources([...sources, ...context]);
  const own = result.diagnostics.filter((d) => d.file.startsWith('documents['));
  const errors = own.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw apiErrors.create(
      'KEDGE_API_INVALID',
      `${errors.length} error(s) in the documents:\n${errors.map(formatDiagnostic).join('\n')}`,
      {
        detail: { diagnostics: own.map(formatDiagnostic) },
      },
    );
  }
  const contextNames = new Set(context.map((c) => c.file));
  const models = result.models.filter((m) => !contextNames.has(storeSourceName(m as unknown as StoredObject)));
  const applied: ApplyResult['applied'] = [];
  for (const obj of [...models, ...result.devices] as unknown as StoredObject[])
    applied.push(await applyOne(store, obj));
  return { applied, warnings: own.filter((d) => d.severity === 'warning').map(formatDiagnostic) };
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

function storeSourceName(o: StoredObject): string {
  return `store:DeviceModel/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
}

/** Stored models the documents do not redefine, as extra sources so references to them resolve. */
async function storedModelsNotIn(store: ObjectStore, documents: unknown[]): Promise<Source[]> {
  const given = new Set<string>();
  for (const d of documents) {
    const doc = d as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (doc?.kind === 'DeviceModel' && typeof doc.metadata?.name === 'string') {
      given.add(
        `${typeof doc.metadata.namespace === 'string' ? doc.metadata.namespace : 'default'}/${doc.metadata.name}`,
      );
    }
  }
  const { items } = await store.list('DeviceModel');
  return items
    .filter((m) => !given.has(`${m.metadata.namespace ?? 'default'}/${m.metadata.name}`))
    .map((m) => {
      const { resourceVersion: _rv, generation: _g, uid: _u, creationTimestamp: _c, ...metadata } = m.metadata;
      return { file: storeSourceName(m), content: JSON.stringify({ ...m, metadata }) };
    });
}
