import { Type, type Static } from '@sinclair/typebox';
import type { KedgeError } from '../core/errors/index.js';
import { checker, oneOf } from '../core/schema/index.js';

/**
 * Pods on the link (docs/link.md, "Pods"): the cloud sends a node the Pods bound to it as
 * `node/<node>/<ns>/pod/<name>` (insert/update/delete, the Pod without status); the edge sends
 * each Pod's status up as `update` of `podstatus/<name>`, and streams container logs on request.
 */

const Time = Type.String({ description: 'RFC 3339 time' });

export const ContainerStateSchema = Type.Object({
  waiting: Type.Optional(Type.Object({ reason: Type.String(), message: Type.Optional(Type.String()) })),
  running: Type.Optional(Type.Object({ startedAt: Time })),
  terminated: Type.Optional(
    Type.Object({
      exitCode: Type.Integer(),
      signal: Type.Optional(Type.Integer()),
      reason: Type.String(),
      message: Type.Optional(Type.String()),
      startedAt: Type.Optional(Time),
      finishedAt: Type.Optional(Time),
      containerID: Type.Optional(Type.String()),
    }),
  ),
});
export type ContainerState = Static<typeof ContainerStateSchema>;

export const ContainerStatusSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  image: Type.String(),
  imageID: Type.Optional(Type.String()),
  containerID: Type.Optional(Type.String()),
  ready: Type.Boolean(),
  started: Type.Optional(Type.Boolean()),
  restartCount: Type.Integer({ minimum: 0 }),
  state: ContainerStateSchema,
  lastState: Type.Optional(ContainerStateSchema),
});
export type ContainerStatus = Static<typeof ContainerStatusSchema>;

export const PodPhaseSchema = oneOf(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = Static<typeof PodPhaseSchema>;

/** A Pod's status as Kubernetes writes it (the part Edged knows). */
export const PodStatusSchema = Type.Object({
  phase: PodPhaseSchema,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  hostIP: Type.Optional(Type.String()),
  startTime: Type.Optional(Time),
  conditions: Type.Array(
    Type.Object({
      type: Type.String(),
      status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
      reason: Type.Optional(Type.String()),
      lastTransitionTime: Type.Optional(Time),
    }),
  ),
  containerStatuses: Type.Array(ContainerStatusSchema),
});
export type PodStatus = Static<typeof PodStatusSchema>;

/** update of `podstatus/<pod>` (edge -> cloud): the status, for the Pod of this uid. */
export const PodStatusContentSchema = Type.Object({
  uid: Type.String({
    description: 'metadata.uid of the Pod described; a status of an older Pod of that name is dropped',
  }),
  status: PodStatusSchema,
  ts: Type.Number(),
});
export type PodStatusContent = Static<typeof PodStatusContentSchema>;

// ---- logs: a live stream, like a ServiceBus call never queued or persisted -----------------

/** Route group of log streams; operations below. */
export const LogsRoute = {
  group: 'logs',
  /** cloud -> edge: open a stream (the message id names it). */
  start: 'start',
  /** cloud -> edge: the reader went away (`parent_msg_id` = the stream). */
  stop: 'stop',
  /** edge -> cloud: text of the stream (`parent_msg_id` = the stream). */
  data: 'data',
  /** edge -> cloud: the stream ended, with `error` when it did not end normally. */
  end: 'end',
} as const;

export const LogsRequestSchema = Type.Object({
  container: Type.Optional(Type.String({ minLength: 1 })),
  follow: Type.Boolean(),
  tailLines: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type LogsRequest = Static<typeof LogsRequestSchema>;

export const LogsDataSchema = Type.Object({ data: Type.String() });
/** Why a stream ended early: the error's code, text, hint and the HTTP status the API answers with. */
export const LogsErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  hint: Type.Optional(Type.String()),
  status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
});
export type LogsError = Static<typeof LogsErrorSchema>;

export const LogsEndSchema = Type.Object({ error: Type.Optional(LogsErrorSchema) });

/** The end of a stream for a KedgeError: its code, status and hint travel with it to the API. */
export function logsError(err: KedgeError): LogsError {
  return { code: err.code, message: err.message, status: err.status, ...(err.hint ? { hint: err.hint } : {}) };
}
export type LogsEnd = Static<typeof LogsEndSchema>;

export const checkPodStatusContent = checker(PodStatusContentSchema, 'content');
export const checkLogsRequest = checker(LogsRequestSchema, 'content');
export const checkLogsData = checker(LogsDataSchema, 'content');
export const checkLogsEnd = checker(LogsEndSchema, 'content');
