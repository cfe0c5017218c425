import { Operation, type Message, type MessageRoute } from './types.js';

export interface NewMessageOptions {
  parentId?: string;
  resourceVersion?: string;
  sync?: boolean;
  now?: number;
  id?: string;
}

/**
 * A new message with a fresh id and the current time. The id comes from the Web Crypto global,
 * which loads node:crypto on first use: importing this file (mappers do, through the contracts)
 * does not load OpenSSL into a process that never builds a message.
 */
export function newMessage<C>(route: MessageRoute, content: C, options: NewMessageOptions = {}): Message<C> {
  const header: Message['header'] = { msg_id: options.id ?? crypto.randomUUID(), timestamp: options.now ?? Date.now() };
  if (options.parentId) header.parent_msg_id = options.parentId;
  if (options.resourceVersion) header.resourceversion = options.resourceVersion;
  if (options.sync) header.sync = true;
  return { header, route: { ...route }, content };
}

/**
 * The response to `request`, as KubeEdge builds it: a new id, `parent_msg_id` = the request's id,
 * operation `response`, same resource and group, `source` set to the answering module.
 */
export function buildResponse<C>(request: Message, source: string, content: C, now?: number): Message<C> {
  const route: MessageRoute = { ...request.route, source, operation: Operation.response };
  return newMessage(route, content, { parentId: request.header.msg_id, now, sync: request.header.sync });
}

/** `<namespace>/<type>/<name>`, KubeEdge's edge-side resource path. */
export function buildResource(namespace: string, type: string, name?: string): string {
  return name === undefined ? `${namespace}/${type}` : `${namespace}/${type}/${name}`;
}

export interface ParsedResource {
  /** `node/<name>/` prefix as the cloud side writes it, when present. */
  node?: string;
  namespace: string;
  type: string;
  name?: string;
}

/** Splits `[node/<node>/]<namespace>/<type>[/<name>]`; undefined when it has fewer than two parts. */
export function parseResource(resource: string): ParsedResource | undefined {
  let parts = resource.split('/');
  let node: string | undefined;
  if (parts[0] === 'node' && parts.length >= 4) {
    node = parts[1];
    parts = parts.slice(2);
  }
  const [namespace, type, ...rest] = parts;
  if (!namespace || !type) return undefined;
  const name = rest.length > 0 ? rest.join('/') : undefined;
  return { ...(node ? { node } : {}), namespace, type, ...(name ? { name } : {}) };
}
