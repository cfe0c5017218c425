import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdFor, renderCrdFiles, renderCrds, type OpenApi } from './crd.js';

const root = new URL('../../', import.meta.url);
const ALLOWED = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'description',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'additionalProperties',
  'x-kubernetes-preserve-unknown-fields',
]);

/** Every node typed (or explicitly free), only OpenAPI keywords Kubernetes knows, no unions. */
function structuralProblems(node: OpenApi, path: string, out: string[]): string[] {
  for (const key of Object.keys(node)) if (!ALLOWED.has(key)) out.push(`${path}: keyword ${key}`);
  if (node['type'] === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) out.push(`${path}: no type`);
  for (const [k, child] of Object.entries((node['properties'] as Record<string, OpenApi>) ?? {}))
    structuralProblems(child, `${path}.${k}`, out);
  if (node['items']) structuralProblems(node['items'] as OpenApi, `${path}[]`, out);
  if (typeof node['additionalProperties'] === 'object')
    structuralProblems(node['additionalProperties'] as OpenApi, `${path}{}`, out);
  return out;
}

type Crd = { spec: { versions: { name: string; served: boolean; schema: { openAPIV3Schema: OpenApi } }[] } };

function openApi(kind: 'Device' | 'DeviceModel' | 'DeviceStatus'): OpenApi {
  const crd = crdFor(kind) as Crd;
  return crd.spec.versions.find((v) => v.name === 'v1beta1')!.schema.openAPIV3Schema;
}

const CONSTRAINTS = ['minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'maxItems', 'minItems', 'format'];

/**
 * Why an object valid under `theirs` could be refused or pruned under `ours` (empty: `ours` accepts
 * every such object unchanged). A free-form node of ours accepts anything below it.
 */
function supersetProblems(ours: OpenApi | undefined, theirs: OpenApi, path: string, out: string[] = []): string[] {
  if (!ours) {
    out.push(`${path}: missing (would be pruned)`);
    return out;
  }
  const free = ours['x-kubernetes-preserve-unknown-fields'] === true;
  if (free && ours['properties'] === undefined && ours['type'] === undefined) return out;
  if (theirs['type'] !== undefined && ours['type'] !== theirs['type']) {
    const widened = ours['type'] === 'number' && theirs['type'] === 'integer';
    if (!widened) out.push(`${path}: type ${String(ours['type'])}, KubeEdge's ${String(theirs['type'])}`);
  }
  for (const key of CONSTRAINTS) {
    if (ours[key] !== undefined && ours[key] !== theirs[key] && !(key === 'format' && theirs['type'] === undefined))
      out.push(`${path}: ${key} ${JSON.stringify(ours[key])} where KubeEdge has ${JSON.stringify(theirs[key])}`);
  }
  const enumOf = (n: OpenApi) => n['enum'] as unknown[] | undefined;
  if (enumOf(ours) && (!enumOf(theirs) || enumOf(theirs)!.some((v) => !enumOf(ours)!.includes(v))))
    out.push(
      `${path}: enum ${JSON.stringify(enumOf(ours))} narrower than KubeEdge's ${JSON.stringify(enumOf(theirs))}`,
    );
  for (const r of (ours['required'] as string[] | undefined) ?? [])
    if (!((theirs['required'] as string[] | undefined) ?? []).includes(r)) out.push(`${path}: requires ${r}`);
  if (theirs['x-kubernetes-preserve-unknown-fields'] === true && !free)
    out.push(`${path}: prunes unknown fields KubeEdge keeps`);
  const props = (n: OpenApi) => (n['properties'] as Record<string, OpenApi> | undefined) ?? {};
  for (const [key, child] of Object.entries(props(theirs))) {
    if (free && props(ours)[key] === undefined) continue;
    supersetProblems(props(ours)[key], child, `${path}.${key}`, out);
  }
  if (theirs['items'])
    supersetProblems(ours['items'] as OpenApi | undefined, theirs['items'] as OpenApi, `${path}[]`, out);
  if (typeof theirs['additionalProperties'] === 'object' && !free)
    supersetProblems(
      ours['additionalProperties'] as OpenApi | undefined,
      theirs['additionalProperties'] as OpenApi,
      `${path}{}`,
      out,
    );
  return out;
}

const kubeedge = JSON.parse(
  readFileSync(new URL('../model/fixtures/kubeedge/crds-v1beta1.json', import.meta.url), 'utf8'),
) as Record<'Device' | 'DeviceModel' | 'DeviceStatus', { served: string[]; schema: OpenApi }>;

function at(node: OpenApi, ...path: string[]): OpenApi {
  return path.reduce(
    (n, key) => (key === '[]' ? (n['items'] as OpenApi) : (n['properties'] as Record<string, OpenApi>)[key]!),
    node,
  );
}

describe('CRDs', () => {
  it.each(Object.entries(renderCrdFiles()))(
    '%s is what the schema generates (run npx tsx src/model/generate-crds.ts)',
    (file, content) => {
      expect(readFileSync(new URL(file, root), 'utf8')).toBe(content);
    },
  );

  it.each(['Device', 'DeviceModel', 'DeviceStatus'] as const)('%s schema is structural', (kind) => {
    expect(structuralProblems(openApi(kind), kind, [])).toEqual([]);
  });

  it('keeps free-form configData and status, and kedge cleansing fields', () => {
    const device = openApi('Device');
    expect(at(device, 'spec', 'protocol', 'configData')['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(
      at(device, 'spec', 'properties', '[]', 'visitors', 'configData')['x-kubernetes-preserve-unknown-fields'],
    ).toBe(true);
    expect(at(device, 'status')['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(at(device, 'spec', 'properties', '[]', 'cleansing', 'range', 'action')['enum']).toEqual(['reject', 'clamp']);
    expect(at(openApi('DeviceModel'), 'spec', 'properties', '[]', 'type')['enum']).toContain('STREAM');
  });

  it.each(['Device', 'DeviceModel', 'DeviceStatus'] as const)(
    "%s is a strict superset of KubeEdge v1.23's CRD (every object it accepts is accepted, nothing pruned)",
    (kind) => {
      expect(supersetProblems(openApi(kind), kubeedge[kind].schema, kind)).toEqual([]);
      const served = (crdFor(kind) as Crd).spec.versions.filter((v) => v.served).map((v) => v.name);
      for (const version of kubeedge[kind].served) expect(served).toContain(version);
    },
  );

  it('the superset check catches what would refuse or prune a KubeEdge object', () => {
    const theirs: OpenApi = {
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'integer' },
        c: { type: 'string', enum: ['X', 'Y'] },
        d: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    const ours: OpenApi = {
      type: 'object',
      required: ['a'],
      properties: {
        a: { type: 'string', minLength: 1 },
        b: { type: 'string' },
        c: { type: 'string', enum: ['X'] },
        d: { type: 'object', properties: {} },
      },
    };
    expect(supersetProblems(ours, theirs, 'x')).toEqual([
      'x: requires a',
      'x.a: minLength 1 where KubeEdge has undefined',
      "x.b: type string, KubeEdge's integer",
      'x.c: enum ["X"] narrower than KubeEdge\'s ["X","Y"]',
      'x.d: prunes unknown fields KubeEdge keeps',
    ]);
    expect(supersetProblems({ type: 'object', properties: {} }, theirs, 'x')).toContain(
      'x.a: missing (would be pruned)',
    );
  });

  it("requires only what KubeEdge requires, and keeps the constraints of kedge's own cleansing fields", () => {
    const device = openApi('Device');
    expect(device['required']).toBeUndefined();
    expect(at(device, 'spec', 'properties', '[]', 'desired')['required']).toEqual(['value']);
    expect(at(device, 'spec', 'properties', '[]', 'collectCycle')['minimum']).toBeUndefined();
    expect(at(device, 'spec', 'properties', '[]', 'cleansing', 'smoothing', 'window')['minimum']).toBe(2);
    expect(at(device, 'spec', 'properties', '[]', 'cleansing', 'range')['required']).toEqual(['action']);
  });

  it('prints model, node, protocol, state and age columns for devices', () => {
    const crd = parse(renderCrds()['devices.kubeedge.io_devices.yaml']!) as {
      metadata: { name: string };
      spec: { versions: { additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
    };
    expect(crd.metadata.name).toBe('devices.devices.kubeedge.io');
    expect(
      crd.spec.versions
        .find((v) => v.additionalPrinterColumns)!
        .additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`),
    ).toEqual([
      'Model=.spec.deviceModelRef.name',
      'Node=.spec.nodeName',
      'Protocol=.spec.protocol.protocolName',
      'State=.status.state',
      'Age=.metadata.creationTimestamp',
    ]);
  });

  it('gives Device and DeviceStatus a status subresource (status writes keep generation), DeviceModel none', () => {
    const sub = (kind: 'Device' | 'DeviceModel' | 'DeviceStatus') =>
      (crdFor(kind) as { spec: { versions: Array<{ name: string; subresources?: unknown }> } }).spec.versions.find(
        (v) => v.name === 'v1beta1',
      )!.subresources;
    expect(sub('Device')).toEqual({ status: {} });
    expect(sub('DeviceStatus')).toEqual({ status: {} });
    expect(sub('DeviceModel')).toBeUndefined();
  });

  it("shapes DeviceStatus as KubeEdge v1.23's and prints state, last online and age", () => {
    const status = at(openApi('DeviceStatus'), 'status');
    expect(Object.keys(status['properties'] as object)).toEqual(['twins', 'state', 'lastOnlineTime', 'extensions']);
    expect(at(status, 'twins', '[]', 'reported', 'metadata')['additionalProperties']).toEqual({ type: 'string' });
    expect(openApi('DeviceStatus')['required']).toBeUndefined();
    const crd = parse(renderCrds()['devices.kubeedge.io_devicestatuses.yaml']!) as {
      spec: { versions: { name: string; additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
    };
    expect(
      crd.spec.versions
        .find((v) => v.name === 'v1beta1')!
        .additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`),
    ).toEqual(['State=.status.state', 'Last-Online=.status.lastOnlineTime', 'Age=.metadata.creationTimestamp']);
  });
});
