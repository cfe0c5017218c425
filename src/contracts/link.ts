import { Type, type Static } from '@sinclair/typebox';
import { Operation, type Message } from '../core/message/index.js';
import { type Checked, checker } from '../core/schema/index.js';
import { DeviceModelSchema, DeviceSchema, type Device, type DeviceModel } from '../model/index.js';
import {
  DesiredSourceSchema,
  DesiredValueSchema,
  DeviceStateSchema,
  FailedValueSchema,
  MapperPhaseSchema,
  ReportedValueSchema,
} from './twin-values.js';

/**
 * What crosses the cloud-edge link inside beehive messages (`src/core/message`). Resources are
 * KubeEdge-style: the cloud writes `node/<node>/<namespace>/<type>/<name>`, the edge the same.
 * Every message from the edge that matters is stored in the edge's outbox first and removed
 * only when the cloud answers with a `response` whose `parent_msg_id` is its id.
 */
/**
 * The largest WebSocket frame on the link, either way (KubeEdge's default too): the edge sends
 * nothing bigger and closes on a bigger frame from the cloud with 1009; the cloud's limit is the
 * config's `cloud.maxFrameBytes`, whose default is this (a test holds them equal).
 */
export const LINK_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * The upgrade header an edge presents its store's id in (docs/link.md, "Fresh store"): a store the
 * cloud's acknowledgements do not belong to gets everything sent again.
 */
export const LINK_STORE_HEADER = 'x-kedge-store-id';

/** The project of the link path `/<project>/<node>/events`: CloudHub serves this one only. */
export const LINK_PROJECT = 'kedge';

/**
 * How a node proved who it is when it connected: the shared token, or nothing (a cloud without
 * --token-file). The seam for per-node credentials (certificates): another value here.
 */
export const LinkIdentitySchema = Type.Union([
  Type.Literal('certificate'),
  Type.Literal('token'),
  Type.Literal('anonymous'),
]);
export type LinkIdentity = Static<typeof LinkIdentitySchema>;

export const LinkResource = {
  device: 'device',
  deviceModel: 'devicemodel',
  /** Desired values (down) and twin reports (up). */
  deviceTwin: 'devicetwin',
  deviceState: 'devicestate',
  /** Cleansed readings of many devices going up in one message (`default/<node>`), column-wise. */
  telemetryColumns: 'telemetrycolumns',
  /** The mapper workloads a node should run (down) and their status (up). */
  mapperSet: 'mapperset',
  mapperStatus: 'mapperstatus',
  /** Pods bound to the node (down, the Pod without status) and their status (up, `PodStatusContent`). */
  pod: 'pod',
  podStatus: 'podstatus',
} as const;
export type LinkResourceType = (typeof LinkResource)[keyof typeof LinkResource];

export function linkResource(node: string, namespace: string, type: LinkResourceType, name: string): string {
  return `node/${node}/${namespace}/${type}/${name}`;
}

// ---- cloud -> edge ----------------------------------------------------------------------
// Each content is checked by the edge (MetaManager) before it is stored or applied.

/** insert/update/delete of `device` and `devicemodel`: the whole object; `header.resourceversion` is the store's version. */
export const DeviceContentSchema = DeviceSchema;
export type DeviceContent = Device;
export const DeviceModelContentSchema = DeviceModelSchema;
export type DeviceModelContent = DeviceModel;

/** update of `devicetwin` from the cloud: desired values as strings (KubeEdge style). */
export const DesiredTwinContentSchema = Type.Object({
  desired: Type.Record(Type.String({ minLength: 1 }), Type.String()),
});
export type DesiredTwinContent = Static<typeof DesiredTwinContentSchema>;

/** update of `mapperset/<node>`: the mapper processes this node should run. */
export const MapperSetContentSchema = Type.Object({
  mappers: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), protocols: Type.Array(Type.String()) })),
});
export type MapperSetContent = Static<typeof MapperSetContentSchema>;

// ---- edge -> cloud ----------------------------------------------------------------------
// Telemetry goes up column-wise (`telemetrycolumns`, ./telemetry-columns.ts). Each content is
// checked by the cloud (DeviceController, EdgeController) where it enters.

/** update of `devicetwin/<device>`: the properties that changed. */
export const TwinReportContentSchema = Type.Object({
  properties: Type.Record(
    Type.String({ minLength: 1 }),
    Type.Object({
      desired: Type.Optional(DesiredValueSchema),
      reported: Type.Optional(ReportedValueSchema),
      /** A desired value the device did not confirm within the timeout, and why. */
      failed: Type.Optional(FailedValueSchema),
      /** Set when an edge application changed the desired value (the cloud is told). */
      desiredSource: Type.Optional(DesiredSourceSchema),
      /** A twin for a property the DeviceModel lacks (KubeEdge's optional twin: no cleansing). */
      optional: Type.Optional(Type.Boolean()),
      /** The optional twin was deleted on the edge (twin/update with null). */
      deleted: Type.Optional(Type.Boolean()),
    }),
  ),
});
export type TwinReportContent = Static<typeof TwinReportContentSchema>;

/** update of `devicestate/<device>`. */
export const DeviceStateContentSchema = Type.Object({
  state: DeviceStateSchema,
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});
export type DeviceStateContent = Static<typeof DeviceStateContentSchema>;

/** update of `mapperstatus/<mapper>` (like a pod's status). */
export const MapperStatusContentSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  protocols: Type.Array(Type.String()),
  phase: MapperPhaseSchema,
  restarts: Type.Number(),
  ready: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});
export type MapperStatusContent = Static<typeof MapperStatusContentSchema>;

/** The answer to every message: `operation: response`, `parent_msg_id` = the acknowledged id. */
export const AckContentSchema = Type.Object({ ok: Type.Boolean(), reason: Type.Optional(Type.String()) });
export type AckContent = Static<typeof AckContentSchema>;

/**
 * The checks where contents enter a process: never throw; the reason names the first bad field.
 * Devices and models are checked by MetaManager with the validator's messages (src/model).
 */
export const checkLinkContent = {
  desiredTwin: checker(DesiredTwinContentSchema, 'content'),
  mapperSet: checker(MapperSetContentSchema, 'content'),
  twinReport: checker(TwinReportContentSchema, 'content'),
  deviceState: checker(DeviceStateContentSchema, 'content'),
  mapperStatus: checker(MapperStatusContentSchema, 'content'),
} as const;

// ---- ServiceBus: live calls from the cloud to HTTP servers on the edge network --------------
//
// Not objects: a call is never queued or persisted. The cloud sends it only while the node is
// connected and waits for the answer on the same connection (docs/link.md, "ServiceBus calls").

/**
 * Route of a call, KubeEdge's names: the cloud's router sends `source: router_servicebus`,
 * `group: user` (EdgeHub's group for ServiceBus), `operation: <HTTP method>`; the edge answers
 * with `source: servicebus`, `group: user`, `operation: response`, `parent_msg_id` = the call.
 */
export const ServiceBusRoute = {
  requestSource: 'router_servicebus',
  responseSource: 'servicebus',
  group: 'user',
} as const;

/** `node/<node>/<host>:<port><path>` (KubeEdge writes `node/<node>/<port>:<path>`). */
export function serviceCallResource(node: string, target: string, path: string): string {
  return `node/${node}/${target}${path.startsWith('/') ? path : `/${path}`}`;
}

const Headers = Type.Record(Type.String(), Type.String());

/** Content of a call (cloud -> edge): the HTTP request, and how long the cloud waits for it. */
export const ServiceCallContentSchema = Type.Object({
  method: Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$" }),
  target: Type.String({ minLength: 3, maxLength: 300 }),
  path: Type.String({ maxLength: 8192 }),
  headers: Type.Optional(Headers),
  body: Type.Optional(Type.String()),
  timeoutMs: Type.Integer({ minimum: 1 }),
});
export type ServiceCallContent = Static<typeof ServiceCallContentSchema>;

/**
 * Content of the edge's answer. `status`, `headers`, `body` (base64) are the target's answer;
 * when the edge did not reach it (not in the allow-list, timeout, refused, too large) `error`
 * says why and `status` is the edge's status for it (403, 504, 502, 413, 400).
 */
export const ServiceCallResultSchema = Type.Object({
  status: Type.Integer({ minimum: 100, maximum: 599 }),
  headers: Headers,
  body: Type.String(),
  error: Type.Optional(
    Type.Object({ code: Type.String({ minLength: 1 }), message: Type.String(), hint: Type.Optional(Type.String()) }),
  ),
});
export type ServiceCallResultContent = Static<typeof ServiceCallResultSchema>;

const resultCheck = checker(ServiceCallResultSchema);

// ---- Edge queries: live questions from the cloud to the edge node itself ------------------
//
// Like a ServiceBus call (sent only while connected, answered on the same connection, never
// queued), but answered by the edge's own modules instead of an HTTP server on its network:
// what the cloud cannot know without asking (the outbox backlog, the node's /metrics with its
// mappers', an OPC UA server's address space browsed from the plant network). The answer has the
// shape of a ServiceBus answer (`ServiceCallResultSchema`), so the cloud waits for both alike.

/** `route { source, group: kedge, operation: query, resource: node/<node>/default/query/<query> }`. */
export const EdgeQueryRoute = {
  requestSource: 'cloudhub',
  responseSource: 'edgehub',
  group: 'kedge',
  operation: 'query',
} as const;

/** The questions an edge answers, and the edge bus request that answers each. */
export const EDGE_QUERIES = {
  'node.status': 'node.status',
  metrics: 'metrics.page',
  'opcua.browse': 'opcua.browse',
} as const;
export type EdgeQueryName = keyof typeof EDGE_QUERIES;

/** How long an OPC UA browse may take on the node, once its browser process runs. */
export const BROWSE_REQUEST_MS = 25_000;
/**
 * The first browse of a new browser process also waits for the process to start (node-opcua loads
 * in seconds) and, on a new node, for its client certificate (key generation): measured at 15-40 s
 * on a busy 2-core machine, where 25 s failed the first browse while later ones took 1 s.
 */
export const BROWSE_FIRST_REQUEST_MS = 75_000;

export function edgeQueryResource(node: string, query: string): string {
  return `node/${node}/default/query/${query}`;
}

export const EdgeQueryContentSchema = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 64 }),
  params: Type.Optional(Type.Unknown()),
  timeoutMs: Type.Integer({ minimum: 1 }),
});
export type EdgeQueryContent = Static<typeof EdgeQueryContentSchema>;

export function isEdgeQuery(message: Message): boolean {
  return message.route.group === EdgeQueryRoute.group && message.route.operation !== Operation.response;
}

export const checkEdgeQuery: (content: unknown) => Checked<EdgeQueryContent> = checker(EdgeQueryContentSchema);

/** A ServiceBus call from the cloud: is this inbound message one (KubeEdge's group `user`)? */
export function isServiceCall(message: Message): boolean {
  return message.route.group === ServiceBusRoute.group && message.route.operation !== Operation.response;
}

export const checkServiceCall: (content: unknown) => Checked<ServiceCallContent> = checker(ServiceCallContentSchema);

/**
 * The two kinds of `response` an edge sends, told apart here once: an acknowledgement of an object
 * the cloud sent down (ObjectSync), or the answer to a live ServiceBus call (group `user`).
 */
export type EdgeResponse =
  | { kind: 'ack'; parentId: string; content: AckContent }
  | { kind: 'servicecall'; parentId: string; result: ServiceCallResultContent }
  | { kind: 'invalid'; parentId: string; reason: string };

/** Classifies an edge `response`; undefined when it names no parent (nothing to settle). */
export function classifyEdgeResponse(message: Message): EdgeResponse | undefined {
  const parentId = message.header.parent_msg_id;
  if (!parentId) return undefined;
  if (message.route.group === ServiceBusRoute.group || message.route.group === EdgeQueryRoute.group) {
    const r = resultCheck(message.content);
    return r.ok
      ? { kind: 'servicecall', parentId, result: r.value }
      : { kind: 'invalid', parentId, reason: `ServiceBus answer: ${r.reason}` };
  }
  const content = message.content as Partial<AckContent> | null;
  const ok = content?.ok !== false;
  return { kind: 'ack', parentId, content: ok ? { ok } : { ok, reason: String(content?.reason ?? '') } };
}
