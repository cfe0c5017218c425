import { Type, type Static } from '@sinclair/typebox';
import { EXPECTED, freeForm, kubeObject } from './schema-kinds.js';
import { ObjectMetaSchema } from './schema.js';

/**
 * The part of Kubernetes' core/v1 Pod that Edged runs (edge applications from the cloud). A field
 * outside it is a warning (`kubeObject`): a Pod written for Kubernetes still applies, and says
 * what kedge ignores. Devices come the Kubernetes way: a hostPath volume of type CharDevice (or
 * BlockDevice) mounted into a container is passed through as a device.
 */
export const POD_API_VERSION = 'v1';

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const QUANTITY = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$';

const Quantity = (what: string) =>
  Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: QUANTITY })], {
    description: what,
    [EXPECTED]: 'a Kubernetes quantity, e.g. 128Mi, 1G, 500m or 2',
  });

export const ResourceListSchema = kubeObject({
  memory: Type.Optional(Quantity('Memory, bytes with an optional suffix (128Mi, 1G).')),
  cpu: Type.Optional(Quantity('CPUs, e.g. 500m (half a CPU) or 2.')),
});

export const ContainerSchema = kubeObject(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, [EXPECTED]: 'a DNS label, e.g. app' }),
    image: Type.String({ minLength: 1, description: 'Image reference, e.g. localhost/kedge:0.1.0.' }),
    command: Type.Optional(Type.Array(Type.String(), { description: "Replaces the image's entrypoint." })),
    args: Type.Optional(Type.Array(Type.String(), { description: "Replaces the image's command." })),
    workingDir: Type.Optional(Type.String()),
    env: Type.Optional(
      Type.Array(kubeObject({ name: Type.String({ minLength: 1 }), value: Type.Optional(Type.String()) })),
    ),
    ports: Type.Optional(
      Type.Array(
        kubeObject({
          name: Type.Optional(Type.String()),
          containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
          hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
          protocol: Type.Optional(Type.Union([Type.Literal('TCP'), Type.Literal('UDP')])),
        }),
      ),
    ),
    volumeMounts: Type.Optional(
      Type.Array(
        kubeObject({
          name: Type.String({ minLength: 1 }),
          mountPath: Type.String({ minLength: 1, pattern: '^/' }),
          readOnly: Type.Optional(Type.Boolean()),
        }),
      ),
    ),
    resources: Type.Optional(
      kubeObject({ limits: Type.Optional(ResourceListSchema), requests: Type.Optional(ResourceListSchema) }),
    ),
    securityContext: Type.Optional(kubeObject({ privileged: Type.Optional(Type.Boolean()) })),
  },
  { description: 'One container of the Pod.' },
);

export const VolumeSchema = kubeObject({
  name: Type.String({ minLength: 1 }),
  hostPath: kubeObject({
    path: Type.String({ minLength: 1, pattern: '^/' }),
    type: Type.Optional(
      Type.Union(
        ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'].map((t) =>
          Type.Literal(t),
        ),
      ),
    ),
  }),
});

export const PodSpecSchema = kubeObject(
  {
    nodeName: Type.Optional(Type.String({ description: 'The edge node that runs the Pod.' })),
    containers: Type.Array(ContainerSchema, { minItems: 1 }),
    restartPolicy: Type.Optional(
      Type.Union([Type.Literal('Always'), Type.Literal('OnFailure'), Type.Literal('Never')], {
        description: 'Default Always.',
      }),
    ),
    hostNetwork: Type.Optional(
      Type.Boolean({
        description:
          'Default true on kedge (no pod network at the edge); false gives each container its own network with its ports published.',
      }),
    ),
    volumes: Type.Optional(Type.Array(VolumeSchema)),
    terminationGracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { description: 'What the edge node runs.' },
);

export const PodSchema = kubeObject(
  {
    apiVersion: Type.Literal(POD_API_VERSION),
    kind: Type.Literal('Pod'),
    metadata: ObjectMetaSchema,
    spec: PodSpecSchema,
    status: Type.Optional(freeForm('Observed state, written by the edge node.')),
  },
  { description: 'A Pod: containers an edge node runs (an edge application).' },
);

export type Pod = Static<typeof PodSchema>;
export type PodSpec = Static<typeof PodSpecSchema>;
export type PodContainer = Static<typeof ContainerSchema>;

const SUFFIX: Record<string, number> = {
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A memory quantity in bytes (`128Mi` -> 134217728); undefined when it is not one. */
export function parseBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Math.round(q);
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$/.exec(q);
  if (!m) return undefined;
  const n = Number(m[1]);
  const s = m[2];
  if (!s) return Math.round(n);
  if (s === 'm') return Math.round(n / 1000);
  if (s.startsWith('e')) return Math.round(n * 10 ** Number(s.slice(1)));
  return Math.round(n * SUFFIX[s]!);
}

/** A CPU quantity in CPUs (`500m` -> 0.5); undefined when it is not one. */
export function parseCpus(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(q);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}
