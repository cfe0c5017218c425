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

function openApi(kind: 'Device' | 'DeviceModel' | 'DeviceStatus'): OpenApi {
  const crd = crdFor(kind) as { spec: { versions: { schema: { openAPIV3Schema: OpenApi } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

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

  it('prints model, node, protocol, state and age columns for devices', () => {
    const crd = parse(renderCrds()['devices.kubeedge.io_devices.yaml']!) as {
      metadata: { name: string };
      spec: { versions: { additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
    };
    expect(crd.metadata.name).toBe('devices.devices.kubeedge.io');
    expect(crd.spec.versions[0]!.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`)).toEqual([
      'Model=.spec.deviceModelRef.name',
      'Node=.spec.nodeName',
      'Protocol=.spec.protocol.protocolName',
      'State=.status.state',
      'Age=.metadata.creationTimestamp',
    ]);
  });

  it('gives Device and DeviceStatus a status subresource (status writes keep generation), DeviceModel none', () => {
    const sub = (kind: 'Device' | 'DeviceModel' | 'DeviceStatus') =>
      (crdFor(kind) as { spec: { versions: Array<{ subresources?: unknown }> } }).spec.versions[0]!.subresources;
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
      spec: { versions: { additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
    };
    expect(crd.spec.versions[0]!.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`)).toEqual([
      'State=.status.state',
      'Last-Online=.status.lastOnlineTime',
      'Age=.metadata.creationTimestamp',
    ]);
  });
});
