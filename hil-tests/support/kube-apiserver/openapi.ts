import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';
import type { ResourceType } from './resources.js';

/**
 * OpenAPI v3, as far as kubectl reads it: the root lists one document per group version;
 * a document has the paths of its resources, whose PATCH operation names the
 * `fieldValidation` parameter (kubectl then validates on the server, `fieldValidation=Strict`,
 * instead of downloading schemas), and the schemas of custom resources.
 */
const docName = (t: ResourceType): string => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);

export function openApiRoot(types: ResourceType[]): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const name of new Set(types.map(docName))) {
    const inDoc = types.filter((t) => docName(t) === name);
    paths[name] = { serverRelativeURL: `/openapi/v3/${name}?hash=${hash(inDoc)}` };
  }
  return { paths };
}

export function openApiDocument(types: ResourceType[], name: string): unknown {
  const inDoc = types.filter((t) => docName(t) === name);
  if (inDoc.length === 0) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of inDoc) {
    const gvk = [{ group: t.group, version: t.version, kind: t.kind }];
    const base = `/${docName(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const op = (verb: string, params: string[] = []) => ({
      operationId: `${verb}${t.kind}`,
      parameters: params.map((p) => ({ name: p, in: 'query', schema: { type: 'string', uniqueItems: true } })),
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk[0],
    });
    const write = ['dryRun', 'fieldManager', 'fieldValidation'];
    paths[base] = {
      get: op('list', ['labelSelector', 'fieldSelector', 'resourceVersion', 'watch']),
      post: op('post', write),
    };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', write),
      patch: op('patch', [...write, 'force']),
      delete: op('delete', ['dryRun']),
    };
    if (t.status)
      paths[`${base}/{name}/status`] = {
        get: op('get'),
        put: op('put', write),
        patch: op('patch', [...write, 'force']),
      };
    if (t.custom && t.schema) schemas[schemaName(t)] = { ...t.schema, 'x-kubernetes-group-version-kind': gvk };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

function schemaName(t: ResourceType): string {
  return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
}

/** Changes with the document, so kubectl's cache (keyed by it) never serves an old one. */
function hash(types: ResourceType[]): string {
  return createHash('sha256').update(JSON.stringify(types)).digest('hex').slice(0, 16).toUpperCase();
}
