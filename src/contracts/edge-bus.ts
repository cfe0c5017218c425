import { Type, type Static } from '@sinclair/typebox';
import { MessageSchema } from '../core/message/index.js';
import {
  DeviceInstanceSchema,
  DeviceModelSchema,
  DeviceSchema,
  CleansedReadingSchema,
  PodSchema,
  RawReadingSchema,
} from '../model/index.js';
import { DashboardAttachedSchema, StreamClientSchema } from './stream-client.js';
import { MapperSetContentSchema } from './link.js';
import { MapperStatusSchema, StateUpdateSchema, TwinUpdateSchema, WriteResultSchema } from './payloads.js';
import {
  DesiredSourceSchema,
  DesiredValueSchema,
  FailedValueSchema,
  MapperPhaseSchema,
  ReportedValueSchema,
} from './twin-values.js';
import { LogsEndSchema, LogsRequestSchema, PodStatusSchema } from './pods.js';

/**
 * The edge process's bus: channels (publish/subscribe, synchronous, in order) and requests
 * (one server each), each payload one schema with its type. Every payload here has already been
 * checked at the process boundary (MQTT, HTTP or the cloud link); modules trust it, so the bus
 * does not check them again (a reading crosses it on the hot path).
 */

const Id = Type.String({ minLength: 1 });
const Nothing = Type.Record(Type.String(), Type.Never());

/** A device of this node as the modules see it: resolved, plus the policies from its metadata. */
export const EdgeDeviceSchema = Type.Object({
  instance: DeviceInstanceSchema,
  /** metadata.labels and metadata.annotations merged (annotations win). */
  annotations: Type.Record(Type.String(), Type.String()),
});
export type EdgeDevice = Static<typeof EdgeDeviceSchema>;

/** One cleansed reading of one property (reason and unit present as keys, maybe undefined: one V8 shape). */
export const CleansedPropertyReadingSchema = Type.Composite([
  CleansedReadingSchema,
  Type.Object({ reportToCloud: Type.Boolean() }),
]);
export type CleansedPropertyReading = Static<typeof CleansedPropertyReadingSchema>;

/** The cloud link's state, published by EdgeHub on `link.state` whenever it changes. */
export const LinkStateEventSchema = Type.Object({
  state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('disconnected')]),
  url: Type.String(),
  ts: Type.Number(),
  reason: Type.Optional(Type.String()),
  /** Delay before the next attempt, when disconnected. */
  retryInMs: Type.Optional(Type.Number()),
});
export type LinkStateEvent = Static<typeof LinkStateEventSchema>;

export const EdgeChannelSchemas = {
  /**
   * Raw readings of one device: from a kedge mapper (`data/raw`, a write's read-back), a
   * third-party mapper's KubeEdge DeviceData (`data/update`), or a KubeEdge `twin/update` actual value.
   */
  'device.readings': Type.Object({
    deviceId: Id,
    readings: Type.Array(RawReadingSchema),
    source: Type.Union([Type.Literal('mapper'), Type.Literal('data-update'), Type.Literal('twin')]),
  }),
  /** Cleansed readings of one device, out of the pipeline (also heartbeats and staleness). */
  'device.cleansed': Type.Object({ deviceId: Id, readings: Type.Array(CleansedPropertyReadingSchema) }),
  /** A KubeEdge `twin/update` message (checked) for the twin. */
  'twin.update': Type.Object({ deviceId: Id, message: TwinUpdateSchema }),
  /** A KubeEdge `twin/get` request. */
  'twin.get': Type.Object({ deviceId: Id, eventId: Type.String() }),
  /** Desired values from the cloud (via MetaManager). */
  'twin.desired': Type.Object({
    deviceId: Id,
    desired: Type.Record(Type.String(), Type.String()),
    source: DesiredSourceSchema,
  }),
  /** `state/update` from a mapper or app. */
  'device.state': Type.Object({ deviceId: Id, message: StateUpdateSchema }),
  /** A mapper's answer to a delta: the read-back or the failure. */
  'device.writeResult': Type.Object({ deviceId: Id, result: WriteResultSchema }),
  /** `membership/get` for this node. */
  'membership.get': Type.Object({ eventId: Type.String() }),
  /** A mapper's liveness (`$ke/mapper-status/<name>`). */
  'mapper.status': MapperStatusSchema,
  /** A mapper's metrics page (Prometheus text), pushed on `$ke/mapper-metrics/<name>`. */
  'mapper.metrics': Type.Object({ name: Type.String(), text: Type.String(), ts: Type.Number() }),
  /**
   * Ask the EventBus to publish on MQTT; payload is serialized to JSON (a string/Buffer as is). A
   * function payload is called only when a client subscribes to the topic (the embedded broker
   * knows; with an external one it is always called): twin documents nobody reads cost nothing.
   */
  'mqtt.publish': Type.Object({
    topic: Type.String(),
    payload: Type.Unknown(),
    retain: Type.Optional(Type.Boolean()),
    qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  }),
  /** The resolved device set of this node changed (MetaManager). */
  'devices.changed': Type.Object({
    devices: Type.Array(EdgeDeviceSchema),
    added: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
    updated: Type.Array(Type.String()),
  }),
  /** The mapper workloads this node should run changed (from the cloud). */
  'mapperset.changed': MapperSetContentSchema,
  /** A beehive message from the cloud link (EdgeHub -> MetaManager). */
  'cloud.inbound': MessageSchema,
  /** MetaManager's verdict on a `cloud.inbound` message (-> EdgeHub answers the cloud). */
  'cloud.ack': Type.Object({ parentMsgId: Type.String(), ok: Type.Boolean(), reason: Type.Optional(Type.String()) }),
  /** The protocols whose devices DMI mappers serve (Edged runs no MQTT mapper for them). */
  'dmi.protocols': Type.Object({ protocols: Type.Array(Type.String()) }),
  /** The cloud link connects, is up, or went down (EdgeHub). */
  'link.state': LinkStateEventSchema,
  /** New entries were committed to the outbox (-> EdgeHub may send). */
  'outbox.appended': Type.Object({ count: Type.Integer({ minimum: 0 }) }),
  /** The Pods bound to this node changed (MetaManager -> Edged): the whole set. */
  'pods.changed': Type.Object({ pods: Type.Array(PodSchema) }),
  /** Open a log stream of a Pod's container (EdgeHub -> Edged); `streamId` names it in the answers. */
  'logs.start': Type.Composite([
    Type.Object({ streamId: Id, namespace: Type.String(), name: Type.String() }),
    LogsRequestSchema,
  ]),
  /** The reader went away (EdgeHub -> Edged). */
  'logs.stop': Type.Object({ streamId: Id }),
  /** Text of a stream (Edged -> EdgeHub). */
  'logs.data': Type.Object({ streamId: Id, data: Type.String() }),
  /** A stream ended (Edged -> EdgeHub), with the error when it did not end normally. */
  'logs.end': Type.Composite([Type.Object({ streamId: Id }), LogsEndSchema]),
};
export type EdgeChannels = { [K in keyof typeof EdgeChannelSchemas]: Static<(typeof EdgeChannelSchemas)[K]> };

/**
 * Channels only a process boundary enters (the EventBus for MQTT, the twin for a twin/update's
 * actual values after its handler returned): the pipeline's input. A handler never publishes on
 * them synchronously (Bus option `boundaryChannels`).
 */
export const EDGE_BOUNDARY_CHANNELS: ReadonlyArray<keyof EdgeChannels> = ['device.readings'];

// ---- views: what the local API (docs/api.md) and the cloud's answer -------------------------

/** A Pod as Edged runs it: its identity and the status it last computed. */
export const PodViewSchema = Type.Object({
  namespace: Type.String(),
  name: Type.String(),
  uid: Type.String(),
  status: PodStatusSchema,
});
export type PodView = Static<typeof PodViewSchema>;

/** The twin of one device as the API shows it (docs/api.md). */
export const TwinViewSchema = Type.Object({
  id: Type.String(),
  state: Type.String(),
  /** Why the device is not online (the mapper said, or its node is not ready). */
  reason: Type.Optional(Type.String()),
  /** When the state was reported (ms). */
  stateTs: Type.Optional(Type.Number()),
  properties: Type.Record(
    Type.String(),
    Type.Object({
      desired: Type.Optional(DesiredValueSchema),
      reported: Type.Optional(ReportedValueSchema),
      pending: Type.Optional(Type.Boolean()),
      failed: Type.Optional(Type.Omit(FailedValueSchema, ['value'])),
      /** A twin for a property the DeviceModel lacks (KubeEdge's optional twin, set over MQTT; not cleansed). */
      optional: Type.Optional(Type.Boolean()),
    }),
  ),
});
export type TwinView = Static<typeof TwinViewSchema>;

export const ApplyResultSchema = Type.Object({
  applied: Type.Array(
    Type.Object({
      kind: Type.String(),
      namespace: Type.String(),
      name: Type.String(),
      resourceVersion: Type.String(),
      action: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
    }),
  ),
  warnings: Type.Array(Type.String()),
});
export type ApplyResult = Static<typeof ApplyResultSchema>;

/** A call to an HTTP server on the edge network (the API's and the cloud's ServiceBus request). */
export const ServiceCallRequestSchema = Type.Object({
  method: Type.String(),
  /** `host:port` on the edge network; must match the allow-list. */
  target: Type.String(),
  path: Type.String(),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Base64. */
  body: Type.Optional(Type.String()),
});
export type ServiceCallRequest = Static<typeof ServiceCallRequestSchema>;

export const ServiceCallResponseSchema = Type.Object({
  status: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()),
  /** Base64. */
  body: Type.String(),
});
export type ServiceCallResponse = Static<typeof ServiceCallResponseSchema>;

export const MapperWorkloadStatusSchema = Type.Object({
  name: Type.String(),
  protocols: Type.Array(Type.String()),
  phase: MapperPhaseSchema,
  restarts: Type.Number(),
  ready: Type.Boolean(),
  pid: Type.Optional(Type.Number()),
  reason: Type.Optional(Type.String()),
});
export type MapperWorkloadStatus = Static<typeof MapperWorkloadStatusSchema>;

const DmiTwinValue = Type.Object({
  value: Type.String(),
  metadata: Type.Record(Type.String(), Type.String()),
});
/** A device as its DMI mapper reports it in GetDevice: KubeEdge's DeviceStatus twins, by property. */
export const DmiDeviceViewSchema = Type.Object({
  id: Type.String(),
  mapper: Type.String(),
  protocol: Type.String(),
  twins: Type.Array(
    Type.Object({
      propertyName: Type.String(),
      reported: Type.Optional(DmiTwinValue),
      observedDesired: Type.Optional(DmiTwinValue),
    }),
  ),
});
export type DmiDeviceView = Static<typeof DmiDeviceViewSchema>;

const DeviceRef = Type.Object({ namespace: Type.String(), name: Type.String() });

/** What a node says of itself (`node.status`; the cloud asks it over the link, docs/link.md "Edge queries"). */
export const EdgeNodeStatusSchema = Type.Object({
  node: Type.String(),
  version: Type.String(),
  /** When this edge process started (ms since the epoch). */
  startedAt: Type.Number(),
  /** The link to the cloud; left out for a node started without --cloud. */
  link: Type.Optional(
    Type.Object({
      state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('disconnected')]),
      url: Type.String(),
      since: Type.Number(),
      reason: Type.Optional(Type.String()),
    }),
  ),
  outbox: Type.Object({
    messages: Type.Number(),
    bytes: Type.Number(),
    oldestAgeMs: Type.Union([Type.Number(), Type.Null()]),
    dropped: Type.Object({ bySize: Type.Number(), byAge: Type.Number() }),
  }),
  mappers: Type.Array(MapperWorkloadStatusSchema),
  devices: Type.Number(),
});
export type EdgeNodeStatus = Static<typeof EdgeNodeStatusSchema>;

export const EdgeRequestSchemas = {
  'meta.devices': { request: Nothing, response: Type.Array(EdgeDeviceSchema) },
  'meta.apply': { request: Type.Object({ documents: Type.Array(Type.Unknown()) }), response: ApplyResultSchema },
  'meta.listDevices': { request: Nothing, response: Type.Array(DeviceSchema) },
  'meta.getDevice': { request: DeviceRef, response: Type.Union([DeviceSchema, Type.Undefined()]) },
  'meta.listModels': { request: Nothing, response: Type.Array(DeviceModelSchema) },
  'meta.delete': {
    request: Type.Composite([
      Type.Object({ kind: Type.Union([Type.Literal('Device'), Type.Literal('DeviceModel')]) }),
      DeviceRef,
    ]),
    response: Type.Object({ deleted: Type.Boolean() }),
  },
  'twin.view': { request: Type.Object({ deviceId: Id }), response: Type.Union([TwinViewSchema, Type.Undefined()]) },
  /** Desired values from the local API; `waitMs` waits until confirmed, failed or the wait ends. */
  'twin.setDesired': {
    request: Type.Object({
      deviceId: Id,
      properties: Type.Record(Type.String(), Type.String()),
      waitMs: Type.Optional(Type.Number()),
    }),
    response: TwinViewSchema,
  },
  'servicebus.call': { request: ServiceCallRequestSchema, response: ServiceCallResponseSchema },
  'edged.status': { request: Nothing, response: Type.Array(MapperWorkloadStatusSchema) },
  /** The protocols DMI mappers serve now (served by the DMI module when DMI is on). */
  'dmi.served': { request: Nothing, response: Type.Object({ protocols: Type.Array(Type.String()) }) },
  /**
   * What the DMI mapper serving a device holds of it (its DeviceMapperService.GetDevice), or
   * undefined when no DMI mapper serves the device's protocol.
   */
  'dmi.getDevice': {
    request: Type.Object({ deviceId: Id }),
    response: Type.Union([DmiDeviceViewSchema, Type.Undefined()]),
  },
  'edged.pods': { request: Nothing, response: Type.Array(PodViewSchema) },
  /**
   * The containers Edged runs on this node (running ones: Pods' and mapper containers), by engine
   * id, with what each is (`Pod default/counter`, `mapper n1-modbus`): the edge broker tells their
   * processes from other local clients.
   */
  'edged.containers': {
    request: Nothing,
    response: Type.Array(Type.Object({ id: Type.String(), workload: Type.String() })),
  },
  /** The node's /metrics page: its own metrics and its mappers' (pushed), federated. */
  'metrics.page': { request: Nothing, response: Type.String() },
  'node.status': { request: Nothing, response: EdgeNodeStatusSchema },
  /** Browses an OPC UA server from this node (params: mappers/opcua/browse.ts BrowseParams; answer: BrowseAnswer). */
  'opcua.browse': { request: Type.Unknown(), response: Type.Unknown() },
  /** Adds a browser to the dashboard's live feed (the edge's own page); `detach` removes it. */
  'dashboard.attach': { request: Type.Object({ client: StreamClientSchema }), response: DashboardAttachedSchema },
};
export type EdgeRequests = {
  [K in keyof typeof EdgeRequestSchemas]: {
    request: Static<(typeof EdgeRequestSchemas)[K]['request']>;
    response: Static<(typeof EdgeRequestSchemas)[K]['response']>;
  };
};
