/**
 * KubeEdge's beehive message, the one envelope on the cloud-edge link. Field names and
 * optionality follow KubeEdge's Go struct (`omitempty` fields are optional here), so a message
 * produced by KubeEdge parses and serializes back to the same JSON.
 */
export interface MessageHeader {
  msg_id: string;
  parent_msg_id?: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  resourceversion?: string;
  sync?: boolean;
  type?: string;
}

export interface MessageRoute {
  source?: string;
  destination?: string;
  group?: string;
  operation?: string;
  resource?: string;
}

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
