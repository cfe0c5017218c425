import { type EdgeChannels, type EdgeRequests, type TwinView, apiErrors } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { namespaceOf, type Device } from '../../model/index.js';
import { applySources } from './source-routes.js';

export interface Route {
  method: string;
  pattern: RegExp;
  /** The answer is text of this type (default: JSON). */
  contentType?: string;
  handle(match: string[], body: unknown, query: URLSearchParams): Promise<unknown>;
}

type EdgeBus = Bus<EdgeChannels, EdgeRequests>;

/** The subset of docs/api.md an edge serves. */
export function edgeRoutes(bus: EdgeBus): Route[] {
  const withStatus = async (d: Device) => {
    const twin = await bus.request('twin.view', { deviceId: `${namespaceOf(d.metadata)}/${d.metadata.name}` });
    return twin ? { ...d, status: statusOf(twin) } : d;
  };
  return [
    {
      method: 'POST',
      pattern: /^\/api\/v1\/apply$/,
      handle: async (_m, body) => {
        const fromYaml = await applySources(bus, body);
        if (fromYaml) return fromYaml;
        const docs = (body as { documents?: unknown } | null)?.documents;
        if (!Array.isArray(docs))
          throw apiErrors.create('KEDGE_API_BAD_REQUEST', 'body must be { "documents": [ ... ] }');
        return bus.request('meta.apply', { documents: docs });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devices$/,
      handle: async () => ({ items: await Promise.all((await bus.request('meta.listDevices', {})).map(withStatus)) }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devices\/([^/]+)\/([^/]+)$/,
      handle: async ([ns, name]) => {
        const d = await bus.request('meta.getDevice', { namespace: ns!, name: name! });
        if (!d) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Device ${ns}/${name} not found`);
        return withStatus(d);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devices\/([^/]+)\/([^/]+)\/dmi$/,
      handle: async ([ns, name]) => {
        const view = await bus.request('dmi.getDevice', { deviceId: `${ns}/${name}` }, 15_000);
        if (!view)
          throw apiErrors.create(
            'KEDGE_API_NOT_FOUND',
            `no DMI mapper serves device ${ns}/${name} (its protocol has no mapper registered on this node's DMI socket)`,
          );
        return view;
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devicemodels$/,
      handle: async () => ({ items: await bus.request('meta.listModels', {}) }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/twins\/([^/]+)\/([^/]+)$/,
      handle: async ([ns, name]) => {
        const twin = await bus.request('twin.view', { deviceId: `${ns}/${name}` });
        if (!twin) throw apiErrors.create('KEDGE_API_NOT_FOUND', `no twin for device ${ns}/${name} on this node`);
        return twin;
      },
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/twins\/([^/]+)\/([^/]+)\/desired$/,
      handle: async ([ns, name], body, query) => {
        const props = (body as { properties?: unknown } | null)?.properties;
        if (typeof props !== 'object' || props === null || Object.values(props).some((v) => typeof v !== 'string')) {
          throw apiErrors.create(
            'KEDGE_API_BAD_REQUEST',
            'body must be { "properties": { "<prop>": "<value as string>" } }',
          );
        }
        const wait = Number(query.get('wait') ?? 0);
        const waitMs = Number.isFinite(wait) && wait > 0 ? Math.min(wait, 120_000) : undefined;
        return bus.request(
          'twin.setDesired',
          { deviceId: `${ns}/${name}`, properties: props as Record<string, string>, waitMs },
          (waitMs ?? 0) + 5000,
        );
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/devices\/([^/]+)\/([^/]+)$/,
      handle: ([ns, name]) => bus.request('meta.delete', { kind: 'Device', namespace: ns!, name: name! }),
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/devicemodels\/([^/]+)\/([^/]+)$/,
      handle: ([ns, name]) => bus.request('meta.delete', { kind: 'DeviceModel', namespace: ns!, name: name! }),
    },
  ];
}

/** KubeEdge's `status.twins` shape, from the twin. */
function statusOf(twin: TwinView) {
  return {
    state: twin.state,
    twins: Object.entries(twin.properties).map(([propertyName, p]) => ({
      propertyName,
      ...(p.reported
        ? {
            reported: {
              value: p.reported.value,
              metadata: { timestamp: String(p.reported.ts), quality: p.reported.quality },
            },
          }
        : {}),
      ...(p.desired
        ? { observedDesired: { value: p.desired.value, metadata: { timestamp: String(p.desired.ts) } } }
        : {}),
    })),
  };
}
