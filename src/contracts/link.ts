import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Operation, type Message } from '../core/message/index.js';
import type { Device, DeviceModel } from '../model/index.js';
import type { Quality } from '../model/cleansing/index.js';

/**
 * What crosses the cloud-edge link inside beehive messages (`src/core/message`). Resources are
 * KubeEdge-style: the cloud writes `node/<node>/<namespace>/<type>/<name>`, the edge the same.
 * Every message from the edge that matters is stored in the edge's outbox first and removed
 * only when the cloud answers with a `response` whose `parent_msg_id` is its id.
 */
export const LinkResource = {
  device: 'device',
  deviceModel: 'devicemodel',
  /** Desired values (down) and twin reports (up). */
  deviceTwin: 'devicetwin',
  deviceState: 'devicestate',
  /** Cleansed readings of one device going up. */
  telemetry: 'telemetry',
  /** Cleansed readings of many devices going up in one message (`default/<node>`), as objects (still accepted). */
  telemetryBatch: 'telemetrybatch',
  /** The same column-wise (`TelemetryColumnsContent`): what the edge sends. */
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

/** insert/update/delete of `device` and `devicemodel`: the whole object; `header.resourceversion` is the store's version. */
export type DeviceContent = Device;
export type DeviceModelContent = DeviceModel;

/** update of `devicetwin` from the cloud: desired values as strings (KubeEdge style). */
export interface DesiredTwinContent {
  desired: Record<string, string>;
}

/** update of `mapperset/<node>`: the mapper processes this node should run. */
export interface MapperSetContent {
  mappers: Array<{ name: string; protocols: string[] }>;
}

// ---- edge -> cloud ----------------------------------------------------------------------

/** upload of `telemetry/<device>`: the cleansed readings of one device (one poll or a batch). */
export interface TelemetryContent {
  readings: Array<{
    property: string;
    value: number | boolean | string | null;
    unit?: string;
    quality: Quality;
    ts: number;
  }>;
}

/**
 * upload of `telemetrybatch/<node>` (namespace `default`): the cleansed readings of many devices
 * committed together at the edge, devices in the order the edge took them. One message instead of
 * one per device: the link's cost is mostly per message (docs/link.md). Edges of this version send
 * the same column-wise instead (`telemetrycolumns`, ./telemetry-columns.ts); the cloud takes both.
 */
export interface TelemetryBatchContent {
  devices: Array<{ device: string } & TelemetryContent>;
}

/** update of `devicetwin/<device>`: the properties that changed. */
export interface TwinReportContent {
  properties: Record<
    string,
    {
      desired?: { value: string; ts: number; version: number };
      reported?: { value: string; quality: Quality; ts: number; version: number };
      /** A desired value the device did not confirm within the timeout, and why. */
      failed?: { value: string; reason: string; ts: number };
      /** Set when an edge application changed the desired value (the cloud is told). */
      desiredSource?: 'cloud' | 'edge';
    }
  >;
}

/** update of `devicestate/<device>`. */
export interface DeviceStateContent {
  state: 'online' | 'offline' | 'unhealthy' | 'unknown';
  reason?: string;
  ts: number;
}

/** update of `mapperstatus/<mapper>` (like a pod's status). */
export interface MapperStatusContent {
  name: string;
  protocols: string[];
  phase: 'Running' | 'Starting' | 'CrashLoopBackOff' | 'Stopped';
  restarts: number;
  ready: boolean;
  reason?: string;
  ts: number;
}

/** The answer to every message: `operation: response`, `parent_msg_id` = the acknowledged id. */
export interface AckContent {
  ok: boolean;
  reason?: string;
}

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

const callCheck = TypeCompiler.Compile(ServiceCallContentSchema);
const resultCheck = TypeCompiler.Compile(ServiceCallResultSchema);

function checked<T>(
  compiled: {
    Check(v: unknown): boolean;
    Errors(v: unknown): { First(): { path: string; message: string } | undefined };
  },
  value: unknown,
): { ok: true; value: T } | { ok: false; reason: string } {
  if (compiled.Check(value)) return { ok: true, value: value as T };
  const first = compiled.Errors(value).First();
  return { ok: false, reason: first ? `field ${first.path || '/'}: ${first.message}` : 'does not match the schema' };
}

/** A ServiceBus call from the cloud: is this inbound message one (KubeEdge's group `user`)? */
export function isServiceCall(message: Message): boolean {
  return message.route.group === ServiceBusRoute.group && message.route.operation !== Operation.response;
}

export function checkServiceCall(
  content: unknown,
): { ok: true; value: ServiceCallContent } | { ok: false; reason: string } {
  return checked(callCheck, content);
}

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
  if (message.route.group === ServiceBusRoute.group) {
    const r = checked<ServiceCallResultContent>(resultCheck, message.content);
    return r.ok
      ? { kind: 'servicecall', parentId, result: r.value }
      : { kind: 'invalid', parentId, reason: `ServiceBus answer: ${r.reason}` };
  }
  const content = message.content as Partial<AckContent> | null;
  const ok = content?.ok !== false;
  return { kind: 'ack', parentId, content: ok ? { ok } : { ok, reason: String(content?.reason ?? '') } };
}
