import { Type, type Static } from '@sinclair/typebox';
import { CleansingRulesSchema } from './cleansing/index.js';
import { ACCESS_MODES, PROPERTY_TYPES } from './property-type.js';
import {
  CRD_REQUIRED,
  EXPECTED,
  INT_FORMAT,
  UNKNOWN_FIELDS,
  freeForm,
  kubeObject,
  numberOrNumericString,
} from './schema-kinds.js';
import { oneOf } from '../core/schema/index.js';

/**
 * The one schema of KubeEdge's `devices.kubeedge.io/v1beta1` Device and DeviceModel, with kedge's
 * optional additions (`cleansing`). Every type below is derived from it; the validator, the CRDs
 * and the rest of kedge use these and nothing else.
 */
export const API_GROUP = 'devices.kubeedge.io';
export const API_VERSION = `${API_GROUP}/v1beta1`;

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const ObjectMetaSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      [EXPECTED]: 'a Kubernetes name: lower-case letters, digits, "-" and "." (e.g. pump-1)',
    }),
    namespace: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: DNS_SUBDOMAIN,
        [EXPECTED]: 'a Kubernetes namespace name (default: "default")',
      }),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { [UNKNOWN_FIELDS]: 'allow', description: 'Standard Kubernetes object metadata.' },
);

export const PropertyTypeSchema = oneOf(
  PROPERTY_TYPES,
  'Type of the property value: INT, FLOAT, DOUBLE, STRING, BOOLEAN, BYTES or STREAM.',
);
export const AccessModeSchema = oneOf(
  ACCESS_MODES,
  'ReadWrite (desired values are written to the device) or ReadOnly (the default when absent).',
);

const cycle = (what: string) =>
  Type.Optional(
    Type.Integer({
      minimum: 0,
      description: `${what}, in milliseconds (default 1000). Legacy nanosecond values (multiples of 1000000) are converted.`,
    }),
  );

export const TwinValueSchema = kubeObject(
  {
    value: Type.String({ description: 'The value, always a string (e.g. "21.5", "true").' }),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { description: 'A property value with its metadata.', [CRD_REQUIRED]: ['value'] },
);

export const VisitorSchema = kubeObject(
  {
    protocolName: Type.Optional(
      Type.String({ description: 'Protocol of this visitor; must match spec.protocol.protocolName.' }),
    ),
    configData: Type.Optional(
      freeForm('How the mapper reaches this property (register, node id, pin, ...), defined by the protocol.'),
    ),
  },
  { description: 'How the mapper reads and writes this property.' },
);

export const ModelPropertySchema = kubeObject(
  {
    name: Type.String({ minLength: 1, description: 'Property name, unique within the model.' }),
    description: Type.Optional(Type.String()),
    type: PropertyTypeSchema,
    accessMode: Type.Optional(AccessModeSchema),
    minimum: Type.Optional(numberOrNumericString('Lowest valid value (a string in KubeEdge YAML).')),
    maximum: Type.Optional(numberOrNumericString('Highest valid value (a string in KubeEdge YAML).')),
    unit: Type.Optional(Type.String({ description: 'Unit of the value, e.g. Celsius.' })),
    visitors: Type.Optional(VisitorSchema),
    cleansing: Type.Optional(CleansingRulesSchema),
  },
  { description: 'A property every device of this model has.' },
);

export const DeviceModelSpecSchema = kubeObject(
  {
    protocol: Type.Optional(
      Type.String({
        description: 'Protocol of the devices of this model: modbus, opcua, serial, gpio or a custom mapper name.',
      }),
    ),
    protocolConfigData: Type.Optional(freeForm('Protocol settings shared by the devices of this model.')),
    properties: Type.Optional(Type.Array(ModelPropertySchema, { description: 'Properties of the model.' })),
  },
  { description: 'What a device of this model offers.' },
);

export const DeviceModelSchema = kubeObject(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal('DeviceModel'),
    metadata: ObjectMetaSchema,
    spec: DeviceModelSpecSchema,
  },
  { description: 'A DeviceModel: the template of a kind of device (its properties and their types).' },
);

/**
 * KubeEdge's pushMethod: where a property's readings are pushed besides the edge, every
 * reportCycle (mapper-framework _template/mapper/data/publish/{mqtt,http}). kedge's mappers do
 * `mqtt` and `http`; `otel`, `dbMethod` and `anomalyDetection` are passed on to DMI mappers only.
 */
export const PushMethodSchema = kubeObject(
  {
    http: Type.Optional(
      kubeObject(
        {
          hostName: Type.Optional(
            Type.String({ description: 'Server, e.g. http://10.0.0.5 (http:// when no scheme is given).' }),
          ),
          port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Server port.' })),
          requestPath: Type.Optional(Type.String({ description: 'Path the readings are POSTed to, e.g. /data.' })),
          timeout: Type.Optional(
            Type.Integer({ minimum: 0, description: 'Milliseconds a push may take (default 5000).' }),
          ),
        },
        {
          description:
            'POST `<property>=<value>&time=<YYYY-MM-DD hh:mm:ss>` (form-encoded) to hostName:port/requestPath.',
        },
      ),
    ),
    mqtt: Type.Optional(
      kubeObject(
        {
          address: Type.Optional(Type.String({ description: 'Broker URL, e.g. mqtt://10.0.0.5:1883.' })),
          topic: Type.Optional(Type.String({ description: 'Topic the readings are published on.' })),
          qos: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 2, [INT_FORMAT]: 'int32', description: 'MQTT QoS (default 0).' }),
          ),
          retained: Type.Optional(Type.Boolean({ description: 'Publish retained (default false).' })),
        },
        { description: 'Publish `time is <YYYY-MM-DD hh:mm:ss>  <topic>: <value>` on topic at address.' },
      ),
    ),
    otel: Type.Optional(
      kubeObject({ endpointURL: Type.Optional(Type.String()) }, { description: 'OpenTelemetry (DMI mappers only).' }),
    ),
    dbMethod: Type.Optional(freeForm('Databases (influxdb2, redis, TDEngine, mysql): DMI mappers only.')),
    anomalyDetection: Type.Optional(freeForm('Anomaly detection service: DMI mappers only.')),
  },
  { description: 'Where the readings of this property are also pushed, every reportCycle.' },
);
export type PushMethod = Static<typeof PushMethodSchema>;

export const DevicePropertySchema = kubeObject(
  {
    name: Type.String({ minLength: 1, description: 'Name of a property of the DeviceModel.' }),
    desired: Type.Optional(TwinValueSchema),
    visitors: Type.Optional(VisitorSchema),
    collectCycle: cycle('How often the mapper reads the property'),
    reportCycle: cycle('How often the mapper reports the property'),
    reportToCloud: Type.Optional(
      Type.Boolean({ description: 'Whether reported values go to the cloud (default false).' }),
    ),
    pushMethod: Type.Optional(PushMethodSchema),
    cleansing: Type.Optional(CleansingRulesSchema),
  },
  { description: 'A property of this device: how to reach it and its desired value.' },
);

export const DeviceMethodSchema = kubeObject(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    propertyNames: Type.Optional(Type.Array(Type.String())),
  },
  { description: 'A named operation on some of the device properties.' },
);

export const ProtocolConfigSchema = kubeObject(
  {
    protocolName: Type.Optional(
      Type.String({
        description:
          "modbus, opcua, serial, gpio or the name of a custom mapper (default: the DeviceModel's protocol).",
      }),
    ),
    configData: Type.Optional(
      freeForm('Connection settings, defined by the protocol (ip/port, serial port, url, ...).'),
    ),
  },
  { description: 'How to connect to the device.' },
);

export const DeviceSpecSchema = kubeObject(
  {
    deviceModelRef: kubeObject({
      name: Type.String({ minLength: 1, description: 'Name of the DeviceModel, in the same namespace.' }),
    }),
    nodeName: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        maxLength: 253,
        description: 'Edge node that serves this device (a DNS-1123 name, as nodes are named).',
      }),
    ),
    protocol: Type.Optional(ProtocolConfigSchema),
    properties: Type.Optional(Type.Array(DevicePropertySchema)),
    methods: Type.Optional(Type.Array(DeviceMethodSchema)),
    stateReport: Type.Optional(
      kubeObject({
        reportCycle: Type.Optional(Type.Integer({ minimum: 0 })),
        reportToCloud: Type.Optional(Type.Boolean()),
      }),
    ),
  },
  { description: 'One device: its model, node, connection and properties.' },
);

export const DeviceSchema = kubeObject(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal('Device'),
    metadata: ObjectMetaSchema,
    spec: DeviceSpecSchema,
    status: Type.Optional(freeForm('Observed state (twins, state, lastOnlineTime), written by KubeEdge/kedge.')),
  },
  { description: 'A Device: one instance of a DeviceModel on an edge node.' },
);

export const StatusTwinSchema = kubeObject(
  {
    propertyName: Type.String({ minLength: 1, description: 'The property of the device model.' }),
    reported: Type.Optional(TwinValueSchema),
    observedDesired: Type.Optional(TwinValueSchema),
  },
  { description: 'Reported and observed desired value of one property.' },
);

/**
 * KubeEdge v1.23's DeviceStatus: a device's observed state in an object of its own (same
 * namespace and name as the Device, owned by it), so that status writes do not touch the Device.
 */
export const DeviceStatusSchema = kubeObject(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal('DeviceStatus'),
    metadata: ObjectMetaSchema,
    spec: Type.Optional(kubeObject({}, { description: 'Empty: the Device of the same name is the spec.' })),
    status: Type.Optional(
      kubeObject(
        {
          twins: Type.Optional(Type.Array(StatusTwinSchema)),
          state: Type.Optional(Type.String({ description: 'online, offline, unhealthy or unknown.' })),
          lastOnlineTime: Type.Optional(Type.String({ description: 'When the device was last online (RFC 3339).' })),
          extensions: Type.Optional(freeForm('More status, free-form.')),
        },
        { description: 'Twins, state and last online time, written by kedge (or KubeEdge).' },
      ),
    ),
  },
  { description: "The observed state of the Device of the same name (KubeEdge v1.23's split)." },
);

export type ObjectMeta = Static<typeof ObjectMetaSchema>;
export type ModelProperty = Static<typeof ModelPropertySchema>;
export type DeviceModelSpec = Static<typeof DeviceModelSpecSchema>;
export type DeviceModel = Static<typeof DeviceModelSchema>;
export type DeviceProperty = Static<typeof DevicePropertySchema>;
export type DeviceMethod = Static<typeof DeviceMethodSchema>;
export type DeviceSpec = Static<typeof DeviceSpecSchema>;
export type Device = Static<typeof DeviceSchema>;
export type TwinValue = Static<typeof TwinValueSchema>;
export type DeviceStatus = Static<typeof DeviceStatusSchema>;
