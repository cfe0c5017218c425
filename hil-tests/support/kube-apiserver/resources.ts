/**
 * The resource types the API server double serves: a few built-in ones (enough for kedge, for
 * `kubectl apply` of deploy/kubernetes and the Helm chart's objects) and every CRD created at
 * run time. A type says what the real API server does with it that a client can observe:
 * scope, status subresource, whether metadata.generation is kept, whether an update may omit
 * resourceVersion, and the schema its objects are pruned to.
 */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [key: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** The status subresource: updates of the main resource keep status, /status keeps the rest. */
  status: boolean;
  /** metadata.generation is set and bumped on spec changes (CRs, Deployments, CRDs). */
  generation: boolean;
  /** PUT without metadata.resourceVersion is allowed (core types); CRs refuse it with 422. */
  unconditionalUpdate: boolean;
  /** Fields outside the schema are dropped (structural pruning); undefined: kept as sent. */
  schema?: Schema;
  printerColumns?: PrinterColumn[];
  /** Served from a CRD (merge/JSON patch only; no strategic merge). */
  custom: boolean;
  /** DELETE answers the object (CRs) or a Status (built-in types). */
  deleteReturnsObject: boolean;
}

export const groupVersion = (t: { group: string; version: string }): string =>
  t.group ? `${t.group}/${t.version}` : t.version;

export const typeKey = (t: { group: string; plural: string }): string => `${t.plural}.${t.group}`;

const time: Schema = { type: 'string', format: 'date-time' };
const microTime: Schema = { type: 'string', format: 'date-time-micro' };
const free: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const strings: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const metadata: Schema = free;

/** core/v1 Node as far as a client can write it: anything else is dropped, as the real server does. */
const nodeSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata,
    spec: {
      type: 'object',
      properties: {
        podCIDR: { type: 'string' },
        podCIDRs: { type: 'array', items: { type: 'string' } },
        providerID: { type: 'string' },
        unschedulable: { type: 'boolean' },
        taints: { type: 'array', items: free },
        externalID: { type: 'string' },
        configSource: free,
      },
    },
    status: {
      type: 'object',
      properties: {
        capacity: strings,
        allocatable: strings,
        phase: { type: 'string' },
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'status'],
            properties: {
              type: { type: 'string' },
              status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
              lastHeartbeatTime: time,
              lastTransitionTime: time,
              reason: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
        addresses: {
          type: 'array',
          items: { type: 'object', properties: { type: { type: 'string' }, address: { type: 'string' } } },
        },
        daemonEndpoints: free,
        nodeInfo: {
          type: 'object',
          properties: Object.fromEntries(
            [
              'machineID',
              'systemUUID',
              'bootID',
              'kernelVersion',
              'osImage',
              'containerRuntimeVersion',
              'kubeletVersion',
              'kubeProxyVersion',
              'operatingSystem',
              'architecture',
            ].map((k) => [k, { type: 'string' }]),
          ),
        },
        images: { type: 'array', items: free },
        volumesInUse: { type: 'array', items: { type: 'string' } },
        volumesAttached: { type: 'array', items: free },
        config: free,
        runtimeHandlers: { type: 'array', items: free },
        features: free,
      },
    },
  },
};

/** coordination.k8s.io/v1 Lease: its times are MicroTime (exactly six fractional digits). */
const leaseSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata,
    spec: {
      type: 'object',
      properties: {
        holderIdentity: { type: 'string' },
        leaseDurationSeconds: { type: 'integer' },
        acquireTime: microTime,
        renewTime: microTime,
        leaseTransitions: { type: 'integer' },
        strategy: { type: 'string' },
        preferredHolder: { type: 'string' },
      },
    },
  },
};

function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    status: false,
    generation: false,
    unconditionalUpdate: true,
    custom: false,
    deleteReturnsObject: false,
    ...extra,
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    builtin('', 'v1', 'Namespace', 'namespaces', { namespaced: false, status: true, shortNames: ['ns'] }),
    builtin('', 'v1', 'Node', 'nodes', { namespaced: false, status: true, shortNames: ['no'], schema: nodeSchema }),
    builtin('', 'v1', 'Pod', 'pods', { status: true, shortNames: ['po'] }),
    builtin('', 'v1', 'Secret', 'secrets'),
    builtin('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
    builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
    builtin('', 'v1', 'Service', 'services', { status: true, shortNames: ['svc'] }),
    builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { status: true, shortNames: ['pvc'] }),
    builtin('apps', 'v1', 'Deployment', 'deployments', { status: true, generation: true, shortNames: ['deploy'] }),
    builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', { schema: leaseSchema }),
    builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
    builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
    builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', { namespaced: false }),
    builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false }),
    builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', { status: true, shortNames: ['pdb'] }),
    builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
      namespaced: false,
      status: true,
      generation: true,
      shortNames: ['crd', 'crds'],
    }),
  ];
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

/** The types one CRD serves: one per served version. */
export function typesOfCrd(spec: CrdSpec): ResourceType[] {
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      kind: spec.names.kind,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
      ...(spec.names.categories ? { categories: spec.names.categories } : {}),
      status: v.subresources?.status !== undefined,
      generation: true,
      unconditionalUpdate: false,
      schema: v.schema?.openAPIV3Schema ?? free,
      ...(v.additionalPrinterColumns ? { printerColumns: v.additionalPrinterColumns } : {}),
      custom: true,
      deleteReturnsObject: true,
    }));
}
