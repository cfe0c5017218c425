import { Kind, type TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { CRD_REQUIRED, INT_FORMAT, unknownFieldPolicy } from './schema-kinds.js';
import { API_GROUP, DeviceModelSchema, DeviceSchema, DeviceStatusSchema } from './schema.js';

/**
 * CustomResourceDefinitions generated from the same TypeBox schemas the validator uses, as
 * Kubernetes structural OpenAPI v3: TypeBox-only keywords stripped, free-form maps marked
 * `x-kubernetes-preserve-unknown-fields`, unions flattened (enums, merged objects). Unknown fields
 * are pruned by the API server rather than rejected, like KubeEdge's own CRDs.
 *
 * They are a strict superset of KubeEdge v1.23's CRDs (build/crds/devices/): every object those
 * accept, these accept with nothing pruned. So KubeEdge-defined fields carry no constraint of
 * kedge's (`kedge validate` still checks names, ranges and required fields), only what KubeEdge's
 * CRD requires is required, and v1alpha2 is served too. kedge's own additions (`cleansing`) keep
 * their constraints: KubeEdge's CRDs would prune them.
 */
export type OpenApi = Record<string, unknown>;

interface Column {
  name: string;
  type: 'string' | 'date';
  jsonPath: string;
  description: string;
}

const AGE: Column = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

const KINDS = [
  {
    kind: 'Device',
    plural: 'devices',
    schema: DeviceSchema,
    statusSubresource: true,
    columns: [
      {
        name: 'Model',
        type: 'string',
        jsonPath: '.spec.deviceModelRef.name',
        description: 'DeviceModel of the device.',
      },
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeName', description: 'Edge node serving the device.' },
      {
        name: 'Protocol',
        type: 'string',
        jsonPath: '.spec.protocol.protocolName',
        description: 'Protocol of the device.',
      },
      {
        name: 'State',
        type: 'string',
        jsonPath: '.status.state',
        description: 'Connection state reported by the mapper.',
      },
      AGE,
    ],
  },
  {
    kind: 'DeviceModel',
    plural: 'devicemodels',
    schema: DeviceModelSchema,
    statusSubresource: false,
    columns: [
      {
        name: 'Protocol',
        type: 'string',
        jsonPath: '.spec.protocol',
        description: 'Protocol of the devices of this model.',
      },
      AGE,
    ],
  },
  {
    kind: 'DeviceStatus',
    plural: 'devicestatuses',
    schema: DeviceStatusSchema,
    statusSubresource: true,
    columns: [
      { name: 'State', type: 'string', jsonPath: '.status.state', description: 'Connection state of the device.' },
      {
        name: 'Last-Online',
        type: 'date',
        jsonPath: '.status.lastOnlineTime',
        description: 'Time since the device was last online.',
      },
      AGE,
    ],
  },
] as const satisfies ReadonlyArray<{
  kind: string;
  plural: string;
  schema: TSchema;
  statusSubresource: boolean;
  columns: Column[];
}>;

export type CrdKind = (typeof KINDS)[number]['kind'];

/**
 * A TypeBox schema as structural OpenAPI v3 (the subset Kubernetes accepts). `kube`: the schema
 * is a KubeEdge-defined field (its constraints are kedge's, left to `kedge validate`).
 */
export function toStructural(schema: TSchema, kube = true): OpenApi {
  const out = convert(schema, kube);
  if (typeof schema['description'] === 'string') out['description'] = schema['description'];
  return out;
}

function convert(schema: TSchema, kube: boolean): OpenApi {
  const structural = (s: TSchema) => toStructural(s, kube);
  switch (schema[Kind]) {
    case 'Object': {
      // Inside a kedge-defined object (additionalProperties: false) every field is kedge's.
      const own = kube && unknownFieldPolicy(schema) !== 'error';
      const properties = (schema['properties'] as Record<string, TSchema>) ?? {};
      const out: OpenApi = { type: 'object', properties: mapValues(properties, (p) => toStructural(p, own)) };
      const required = own
        ? ((schema[CRD_REQUIRED] as string[] | undefined) ?? [])
        : ((schema['required'] as string[] | undefined) ?? []);
      if (required.length > 0) out['required'] = [...required];
      if (unknownFieldPolicy(schema) === 'allow') out['x-kubernetes-preserve-unknown-fields'] = true;
      return out;
    }
    case 'Record': {
      if (unknownFieldPolicy(schema) === 'allow')
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      const values = Object.values((schema['patternProperties'] as Record<string, TSchema>) ?? {})[0];
      return { type: 'object', additionalProperties: values ? structural(values) : { type: 'string' } };
    }
    case 'Array':
      return pick({ type: 'array', items: structural(schema['items'] as TSchema) }, schema, kube ? [] : ['maxItems']);
    case 'Union':
      return union((schema['anyOf'] as TSchema[]) ?? [], kube);
    case 'Literal':
      return { type: typeof schema['const'] === 'number' ? 'number' : typeof schema['const'], enum: [schema['const']] };
    case 'String':
      return pick({ type: 'string' }, schema, kube ? [] : ['minLength', 'maxLength', 'pattern']);
    case 'Integer': {
      // KubeEdge's Go int32 fields (qos) say so in the CRD: x-kedge-format keeps TypeBox from checking a format it has not registered.
      const format = (schema[INT_FORMAT] as string | undefined) ?? 'int64';
      return kube ? { type: 'integer', format } : numeric({ type: 'integer', format }, schema);
    }
    case 'Number':
      return kube ? { type: 'number' } : numeric({ type: 'number' }, schema);
    case 'Boolean':
      return { type: 'boolean' };
    default:
      return { 'x-kubernetes-preserve-unknown-fields': true };
  }
}

function union(variants: TSchema[], kube: boolean): OpenApi {
  if (variants.length > 0 && variants.every((v) => v[Kind] === 'Literal')) {
    const types = new Set(variants.map((v) => typeof v['const']));
    if (types.size === 1) {
      const type =
        [...types][0] === 'number'
          ? variants.every((v) => Number.isInteger(v['const']))
            ? 'integer'
            : 'number'
          : [...types][0];
      return { type, enum: variants.map((v) => v['const']) };
    }
  }
  if (variants.length > 0 && variants.every((v) => v[Kind] === 'Object')) {
    // One object with every variant's fields: structural schemas cannot declare fields per branch.
    const properties: Record<string, OpenApi> = {};
    for (const v of variants)
      Object.assign(
        properties,
        mapValues((v['properties'] as Record<string, TSchema>) ?? {}, (p) => toStructural(p, kube)),
      );
    return { type: 'object', properties };
  }
  // Mixed scalars (a number or a numeric string): any value; `kedge validate` checks it.
  return { 'x-kubernetes-preserve-unknown-fields': true };
}

function numeric(base: OpenApi, schema: TSchema): OpenApi {
  const out = pick(base, schema, ['minimum', 'maximum']);
  // JSON Schema's numeric exclusiveMinimum is OpenAPI v3.0's boolean flag next to minimum.
  if (typeof schema['exclusiveMinimum'] === 'number')
    Object.assign(out, { minimum: schema['exclusiveMinimum'], exclusiveMinimum: true });
  if (typeof schema['exclusiveMaximum'] === 'number')
    Object.assign(out, { maximum: schema['exclusiveMaximum'], exclusiveMaximum: true });
  return out;
}

function pick(base: OpenApi, schema: TSchema, keys: string[]): OpenApi {
  for (const key of keys) if (schema[key] !== undefined) base[key] = schema[key];
  return base;
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/**
 * The CRD object of one kind. Device and DeviceStatus have a status subresource (KubeEdge's own
 * CRDs have none): status writes then neither bump generation nor race with spec edits.
 */
export function crdFor(kind: CrdKind): OpenApi {
  const def = KINDS.find((k) => k.kind === kind)!;
  const root = toStructural(def.schema);
  const properties = root['properties'] as Record<string, OpenApi>;
  // The API server owns apiVersion, kind and metadata; a CRD may only say they exist.
  properties['apiVersion'] = { type: 'string' };
  properties['kind'] = { type: 'string' };
  properties['metadata'] = { type: 'object' };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: { kind, listKind: `${kind}List`, plural: def.plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        // KubeEdge v1.23.1's three CRDs serve v1alpha2, DeviceStatus's too
        // (build/crds/devices/devices_v1beta1_devicestatus.yaml): a superset serves it as well.
        V1ALPHA2,
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: root },
          ...(def.statusSubresource ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: def.columns,
        },
      ],
    },
  };
}

/**
 * KubeEdge's CRDs still serve v1alpha2 (not stored; no conversion webhook: the API server only
 * rewrites apiVersion). kedge serves it as free-form so old objects stay readable for
 * `kedge convert`, which turns them into v1beta1.
 */
const V1ALPHA2 = {
  name: 'v1alpha2',
  served: true,
  storage: false,
  deprecated: true,
  deprecationWarning: 'devices.kubeedge.io/v1alpha2 is not read by kedge; convert it with `kedge convert FILE`',
  schema: {
    openAPIV3Schema: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

const HEADER = '# Generated by `npx tsx src/model/generate-crds.ts` from src/model/schema.ts; do not edit.\n';

/** File name (in deploy/crds/) -> content, exactly as committed. */
export function renderCrds(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { kind, plural } of KINDS) {
    out[`${API_GROUP}_${plural}.yaml`] = HEADER + stringify(crdFor(kind), { lineWidth: 0 });
  }
  return out;
}

/**
 * Every generated file, by path from the repository root: deploy/crds/, the same CRDs as one file
 * of the plain manifests (deploy/kubernetes/) and in the Helm chart's crds/ folder (installed by
 * Helm before the chart's templates, never upgraded or deleted by it).
 */
export function renderCrdFiles(): Record<string, string> {
  const crds = renderCrds();
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(crds)) {
    out[`deploy/crds/${file}`] = content;
    out[`deploy/helm/kedge-cloud/crds/${file}`] = content;
  }
  out['deploy/kubernetes/01-crds.yaml'] =
    HEADER +
    Object.values(crds)
      .map((c) => c.slice(HEADER.length))
      .join('---\n');
  return out;
}
