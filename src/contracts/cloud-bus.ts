import { Type, type Static } from '@sinclair/typebox';
import { MessageSchema } from '../core/message/index.js';
import { ServiceCallRequestSchema, ServiceCallResponseSchema, TwinViewSchema } from './edge-bus.js';
import { TokenCreatedSchema, TokenCreateSchema } from './join.js';
import { AckContentSchema, EDGE_QUERIES, LinkIdentitySchema } from './link.js';
import { DashboardAttachedSchema, StreamClientSchema } from './stream-client.js';
import { DeviceColumnsSchema } from './telemetry-columns.js';
import { MapperPhaseSchema } from './twin-values.js';
import { LogsEndSchema, LogsRequestSchema } from './pods.js';

/**
 * The cloud process's bus, each payload one schema with its type. CloudHub owns the link: it
 * turns frames into `upstream.<type>` requests (one server each: DeviceController,
 * EdgeController) and sends what modules put on `link.send` down to the node, keyed by object so
 * only the newest version is pending.
 */

const Node = Type.String({ minLength: 1 });

/** An object to send to one node; a newer item with the same key replaces a pending one. */
export const DownstreamItemSchema = Type.Object({
  node: Node,
  /** `<type>/<namespace>/<name>` (docs/link.md). */
  key: Type.String(),
  /**
   * Opaque version the sender compares on reconnect (ObjectSync): recorded for (node, key)
   * when the edge acknowledges; for `remove` items the record is deleted instead.
   */
  token: Type.String(),
  remove: Type.Optional(Type.Boolean()),
  message: MessageSchema,
});
export type DownstreamItem = Static<typeof DownstreamItemSchema>;

/** One message from an edge node, already parsed and deduplicated by CloudHub. */
export const UpstreamMessageSchema = Type.Object({
  node: Node,
  message: MessageSchema,
  /** `route.resource` as CloudHub parsed it (`node/<node>/<namespace>/<type>/<name>`). */
  resource: Type.Object({ namespace: Type.String(), type: Type.String(), name: Type.String() }),
  /**
   * Records the message as handled, durably, when the promise resolves (rejects when it cannot). A
   * handler whose effects cannot be taken back calls it right before they become visible
   * (telemetry: right before the broker delivers it, `cloudmqtt.publishOnce`), so that a cloud
   * crash at any later point never lets the edge's resend be handled twice. Without a call,
   * CloudHub records the id after the handler returns. A claimed message whose handler then fails
   * is unclaimed. (docs/link.md, "Duplicates across a cloud crash".)
   */
  claim: Type.Optional(Type.Function([], Type.Promise(Type.Void()))),
});
export type UpstreamMessage = Static<typeof UpstreamMessageSchema>;

export const CloudChannelSchemas = {
  /**
   * `fresh`: the node's store is not the one its acknowledgements belong to (new, wiped, replaced):
   * CloudHub has forgotten them, and whoever caches what the node holds must forget it too.
   * `identity`: how the node proved who it is (docs/link.md; certificates will add a value).
   */
  'link.connected': Type.Object({
    node: Node,
    ts: Type.Number(),
    fresh: Type.Optional(Type.Boolean()),
    identity: Type.Optional(LinkIdentitySchema),
  }),
  'link.disconnected': Type.Object({ node: Node, reason: Type.String(), ts: Type.Number() }),
  /** Any frame from the node counts; keepalives are published here (for the last-heartbeat time). */
  'link.heartbeat': Type.Object({ node: Node, ts: Type.Number() }),
  'link.send': DownstreamItemSchema,
  /** Closes the node's link, if it has one (its Node was deleted); the edge may connect again. */
  'link.disconnect': Type.Object({ node: Node, reason: Type.String() }),
  /** Text of a Pod log stream from its node (CloudHub -> API). */
  'podlogs.data': Type.Object({ streamId: Type.String(), data: Type.String() }),
  /** A Pod log stream ended: the node ended it (with its error) or the link was lost. */
  'podlogs.end': Type.Composite([Type.Object({ streamId: Type.String() }), LogsEndSchema]),
  /** The reader of a stream went away (API -> CloudHub, which tells the node). */
  'podlogs.close': Type.Object({ streamId: Type.String() }),
  /**
   * A message the cloud MQTT broker took for consumers (kedge/twin, kedge/status, kedge/telemetry),
   * published only while someone subscribes (the dashboard while a browser watches).
   */
  'consumer.published': Type.Object({
    topic: Type.String(),
    payload: Type.Unknown(),
    qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
    retain: Type.Optional(Type.Boolean()),
  }),
  /** One device's telemetry as it came (DeviceController, only while someone subscribes: the dashboard). */
  'telemetry.columns': Type.Object({ node: Node, columns: DeviceColumnsSchema }),
  /** A node's readiness or mapper status changed (EdgeController). */
  'node.changed': Type.Object({ node: Node }),
  /** Devices were created or deleted (DeviceController). */
  'devices.listChanged': Type.Object({}),
};
export type CloudChannels = { [K in keyof typeof CloudChannelSchemas]: Static<(typeof CloudChannelSchemas)[K]> };

/** A log stream to open on a node (CloudHub sends it only while the node is connected). */
export const PodLogsOpenSchema = Type.Composite([
  Type.Object({ node: Node, namespace: Type.String(), name: Type.String() }),
  LogsRequestSchema,
]);
export type PodLogsOpen = Static<typeof PodLogsOpenSchema>;

/** A live HTTP call to a server on a node's network, through the node's ServiceBus (docs/link.md). */
export const CloudServiceCallSchema = Type.Object({
  node: Node,
  call: ServiceCallRequestSchema,
  /** How long CloudHub waits for the edge's answer; the edge gives up at the same time. */
  timeoutMs: Type.Number(),
});
export type CloudServiceCall = Static<typeof CloudServiceCallSchema>;

export const CloudMqttPublishSchema = Type.Object({
  topic: Type.String(),
  payload: Type.Unknown(),
  qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  retain: Type.Optional(Type.Boolean()),
});
export type CloudMqttPublish = Static<typeof CloudMqttPublishSchema>;

/** A node as the cloud API shows it (docs/api.md). */
export const NodeViewSchema = Type.Object({
  name: Type.String(),
  ready: Type.Boolean(),
  /** Why the node is not ready (link closed, keepalive timeout, the cloud restarted). */
  reason: Type.Optional(Type.String()),
  /** When its current (or last) connection opened. */
  connectedAt: Type.Optional(Type.String()),
  lastHeartbeat: Type.Union([Type.String(), Type.Null()]),
  mappers: Type.Array(
    Type.Object({
      name: Type.String(),
      protocols: Type.Array(Type.String()),
      /** `Pending`: the node should run it, and has not reported it yet. */
      phase: Type.Optional(Type.Union([MapperPhaseSchema, Type.Literal('Pending')])),
      ready: Type.Optional(Type.Boolean()),
      restarts: Type.Optional(Type.Number()),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export type NodeView = Static<typeof NodeViewSchema>;

const Upstream = { request: UpstreamMessageSchema, response: AckContentSchema };
const DeviceRef = { namespace: Type.String(), name: Type.String() };

/**
 * Upstream handlers answer `{ ok: true }` when the message is handled, `{ ok: false, reason }`
 * when it can never be (bad content: the edge drops it), and throw on a transient failure
 * (the message is not acknowledged and the edge sends it again).
 */
export const CloudRequestSchemas = {
  'upstream.telemetrycolumns': Upstream,
  'upstream.devicetwin': Upstream,
  'upstream.devicestate': Upstream,
  'upstream.mapperstatus': Upstream,
  'upstream.podstatus': Upstream,
  /** Opens a Pod log stream on its node; rejects with KEDGE_CLOUDHUB_NOT_CONNECTED when it is away. */
  'podlogs.open': { request: PodLogsOpenSchema, response: Type.Object({ streamId: Type.String() }) },
  /** Resolves when the broker has the message (QoS 1: acknowledged). */
  'cloudmqtt.publish': { request: CloudMqttPublishSchema, response: Type.Undefined() },
  /**
   * The consumer messages of one edge message, in their order, published exactly once for the
   * message; resolves when the broker has them all. How depends on the broker (docs/link.md,
   * "Duplicates across a cloud crash"):
   *  - cloud replicas on etcd with an external broker: QoS 2 with its state in etcd; the journal's
   *    `begin` records the message as handled together with its packets, so `claim` is not called;
   *  - otherwise `claim` (the handler's `UpstreamMessage.claim`) runs once, when the broker is
   *    reachable, right before the first of them can reach a subscriber (embedded broker: the
   *    subscribers' writes are held until it resolved; external broker: just before they are
   *    written to its socket). If it fails, that is logged and the messages are published all
   *    the same.
   */
  'cloudmqtt.publishOnce': {
    request: Type.Object({
      node: Node,
      msgId: Type.String(),
      items: Type.Array(CloudMqttPublishSchema),
      claim: Type.Optional(Type.Function([], Type.Promise(Type.Void()))),
    }),
    response: Type.Undefined(),
  },
  'twin.view': { request: Type.Object(DeviceRef), response: Type.Union([TwinViewSchema, Type.Undefined()]) },
  /** Sets desired values (Device spec); `waitMs` waits until reported == desired, failed or the wait ends. */
  'twin.setDesired': {
    request: Type.Object({
      ...DeviceRef,
      properties: Type.Record(Type.String(), Type.String()),
      waitMs: Type.Optional(Type.Number()),
    }),
    response: TwinViewSchema,
  },
  'nodes.list': { request: Type.Record(Type.String(), Type.Never()), response: Type.Array(NodeViewSchema) },
  /**
   * Served by CloudHub. Resolves with the target's answer; rejects with KEDGE_CLOUDHUB_* (node not
   * connected, timeout, link lost, too many calls) or with the edge's own error code and
   * `detail.status` (e.g. KEDGE_SERVICEBUS_FORBIDDEN, 403) when the edge did not reach the target.
   */
  'servicebus.call': { request: CloudServiceCallSchema, response: ServiceCallResponseSchema },
  /** Served by the CA (src/cloud/pki) unless the link is insecure: a join token (`kedge token create`). */
  'pki.createToken': { request: TokenCreateSchema, response: TokenCreatedSchema },
  /** Served by the CA: revokes every certificate of the node and closes its link; answers how many. */
  'pki.revokeNode': { request: Type.Object({ node: Node }), response: Type.Object({ revoked: Type.Integer() }) },
  /**
   * Served by CloudHub: asks node `node` one of EDGE_QUERIES (src/contracts/link.ts) and resolves
   * with the edge's answer (JSON parsed; text as a string). Fails like `servicebus.call`.
   */
  'edge.query': {
    request: Type.Object({
      node: Node,
      query: Type.Union(Object.keys(EDGE_QUERIES).map((q) => Type.Literal(q as keyof typeof EDGE_QUERIES))),
      params: Type.Optional(Type.Unknown()),
      timeoutMs: Type.Number(),
    }),
    response: Type.Unknown(),
  },
  /** Every device's twin as `twin.view` shows one. */
  'twin.list': { request: Type.Object({}), response: Type.Array(TwinViewSchema) },
  /** Adds a browser to the dashboard's live feed; `detach` removes it. */
  'dashboard.attach': { request: Type.Object({ client: StreamClientSchema }), response: DashboardAttachedSchema },
};
export type CloudRequests = {
  [K in keyof typeof CloudRequestSchemas]: {
    request: Static<(typeof CloudRequestSchemas)[K]['request']>;
    response: Static<(typeof CloudRequestSchemas)[K]['response']>;
  };
};
