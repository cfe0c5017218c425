import {
  serviceCallResource,
  ServiceBusRoute,
  type CloudServiceCall,
  type ServiceCallContent,
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
