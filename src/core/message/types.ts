import { Type, type Static } from '@sinclair/typebox';

/**
 * KubeEdge's beehive message, the one envelope on the cloud-edge link. Field names and
 * optionality follow KubeEdge's Go struct (`omitempty` fields are optional here), so a message
 * produced by KubeEdge parses and serializes back to the same JSON.
 */
export const MessageHeaderSchema = Type.Object({
  msg_id: Type.String({ minLength: 1 }),
  parent_msg_id: Type.Optional(Type.String()),
  /** Milliseconds since the epoch. */
  timestamp: Type.Number(),
  resourceversion: Type.Optional(Type.String()),
  sync: Type.Optional(Type.Boolean()),
  type: Type.Optional(Type.String()),
});
export type MessageHeader = Static<typeof MessageHeaderSchema>;

export const MessageRouteSchema = Type.Object({
  source: Type.Optional(Type.String()),
  destination: Type.Optional(Type.String()),
  group: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  resource: Type.Optional(Type.String()),
});
export type MessageRoute = Static<typeof MessageRouteSchema>;

/** The envelope; `content` is checked by whoever handles the route (src/contracts/link.ts). */
export const MessageSchema = Type.Object({
  header: MessageHeaderSchema,
  route: MessageRouteSchema,
  content: Type.Unknown(),
});

export interface Message<C = unknown> {
  header: MessageHeader;
  route: MessageRoute;
  content: C;
}

/** Operations KubeEdge uses on the link. */
export const Operation = {
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  query: 'query',
  response: 'response',
  upload: 'upload',
  keepalive: 'keepalive',
  publish: 'publish',
} as const;
export type OperationName = (typeof Operation)[keyof typeof Operation];

/** Module and group names KubeEdge uses in `route.source` / `route.group`. */
export const EdgeModuleName = {
  websocket: 'websocket',
  twin: 'twin',
  eventbus: 'eventbus',
  metamanager: 'metamanager',
  edged: 'edged',
  servicebus: 'servicebus',
} as const;

export const ModuleGroup = {
  hub: 'hub',
  twin: 'twin',
  meta: 'meta',
  bus: 'bus',
  user: 'user',
  edged: 'edged',
  resource: 'resource',
} as const;
