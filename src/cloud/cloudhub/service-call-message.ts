import {
  edgeQueryResource,
  EdgeQueryRoute,
  serviceCallResource,
  ServiceBusRoute,
  type CloudRequests,
  type CloudServiceCall,
  type EdgeQueryContent,
  type ServiceCallContent,
  type ServiceCallResponse,
} from '../../contracts/index.js';
import { newMessage, serializeMessage, type Message } from '../../core/message/index.js';

/** The beehive message of a ServiceBus call (docs/link.md), its frame, and a name for messages. */
export function buildServiceCall(
  req: CloudServiceCall,
  now: number,
): { message: Message<ServiceCallContent>; text: string; what: string } {
  const { call } = req;
  const path = call.path.startsWith('/') ? call.path : `/${call.path}`;
  const content: ServiceCallContent = { method: call.method, target: call.target, path, timeoutMs: req.timeoutMs };
  if (call.headers) content.headers = call.headers;
  if (call.body) content.body = call.body;
  const route = {
    source: ServiceBusRoute.requestSource,
    group: ServiceBusRoute.group,
    operation: call.method,
    resource: serviceCallResource(req.node, call.target, path),
  };
  const message = newMessage(route, content, { now });
  return { message, text: serializeMessage(message), what: `${call.method} ${call.target}${path}` };
}

/** The beehive message of an edge query (docs/link.md "Edge queries"), its frame, and a name for messages. */
export function buildEdgeQuery(
  req: CloudRequests['edge.query']['request'],
  now: number,
): { message: Message<EdgeQueryContent>; text: string; what: string } {
  const content: EdgeQueryContent = { query: req.query, timeoutMs: req.timeoutMs };
  if (req.params !== undefined) content.params = req.params;
  const route = {
    source: EdgeQueryRoute.requestSource,
    group: EdgeQueryRoute.group,
    operation: EdgeQueryRoute.operation,
    resource: edgeQueryResource(req.node, req.query),
  };
  const message = newMessage(route, content, { now });
  return { message, text: serializeMessage(message), what: `query ${req.query}` };
}

/** An edge query's answer: JSON parsed, any other content type as text. */
export function decodeQueryAnswer(res: ServiceCallResponse): unknown {
  const text = Buffer.from(res.body, 'base64').toString('utf8');
  return (res.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(text) : text;
}
