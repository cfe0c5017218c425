import {
  apiErrors,
  invalidDocuments,
  validationResult,
  type ApplyResult,
  type EdgeChannels,
  type EdgeRequests,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { formatDiagnostic } from '../../core/yaml/index.js';
import {
  assertImportable,
  checkCsvImport,
  checkForApply,
  importRequest,
  importSummary,
  type ApplyCheck,
  type Source,
} from '../../model/index.js';
import type { Route } from './routes.js';

type EdgeBus = Bus<EdgeChannels, EdgeRequests>;

/** `{ sources: [{ file, content }] }`: YAML text from the dashboard's editor. */
function sourcesOf(body: unknown): Source[] | undefined {
  const sources = (body as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return undefined;
  return sources.map((s: unknown, i: number) => {
    const src = s as { file?: unknown; content?: unknown } | null;
    if (typeof src?.content !== 'string')
      throw apiErrors.create('KEDGE_API_BAD_REQUEST', `sources[${i}].content must be the YAML text`);
    return { file: typeof src.file === 'string' && src.file !== '' ? src.file : `sources[${i}]`, content: src.content };
  });
}

async function check(bus: EdgeBus, sources: Source[]): Promise<ApplyCheck> {
  return checkForApply(sources, (await bus.request('meta.listModels', {})) as never);
}

/** YAML text applied with its positions in errors; anything else goes to MetaManager as before. */
export async function applySources(bus: EdgeBus, body: unknown): Promise<ApplyResult | undefined> {
  const sources = sourcesOf(body);
  if (!sources) return undefined;
  const c = await check(bus, sources);
  if (c.errors.length > 0) throw invalidDocuments(c);
  if (c.pods.length > 0)
    throw apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      `${c.pods.map((p) => `Pod ${p.metadata.namespace ?? 'default'}/${p.metadata.name}`).join(', ')}: Pods are applied to the cloud, which sends them to their node (spec.nodeName)`,
    );
  const result = await bus.request('meta.apply', { documents: [...c.models, ...c.devices] });
  return { ...result, warnings: [...c.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic)] };
}

export function sourceRoutes(bus: EdgeBus): Route[] {
  return [
    importRoute(bus),
    {
      method: 'POST',
      pattern: /^\/api\/v1\/validate$/,
      handle: async (_m, body) => {
        const sources =
          sourcesOf(body) ??
          (Array.isArray((body as { documents?: unknown } | null)?.documents)
            ? (body as { documents: unknown[] }).documents.map((d, i) => ({
                file: `documents[${i}]`,
                content: JSON.stringify(d, null, 2),
              }))
            : undefined);
        if (!sources)
          throw apiErrors.create(
            'KEDGE_API_BAD_REQUEST',
            'body must be { "sources": [ { "file", "content" } ] } or { "documents": [...] }',
          );
        return validationResult(await check(bus, sources));
      },
    },
  ];
}

/** `POST /api/v1/import/devices` on a standalone gateway: as the cloud's (src/cloud/api/import.ts). */
export function importRoute(bus: EdgeBus): Route {
  return {
    method: 'POST',
    pattern: /^\/api\/v1\/import\/devices$/,
    handle: async (_m, body) => {
      const req = importRequest(body);
      const [namespace, name] = req.template.split('/') as [string, string];
      const template = await bus.request('meta.getDevice', { namespace, name });
      if (!template) throw apiErrors.create('KEDGE_API_NOT_FOUND', `template Device ${req.template} does not exist`);
      const models = await bus.request('meta.listModels', {});
      const { devices, problems } = await checkCsvImport(req.csv, template, models as never, req.file);
      assertImportable(problems);
      const summary = importSummary(devices, problems);
      if (req.dryRun) return { ...summary, applied: [] };
      return { ...summary, applied: (await bus.request('meta.apply', { documents: devices })).applied };
    },
  };
}
