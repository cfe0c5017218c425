import { linkResource, type LinkResourceType } from '../../contracts/index.js';
import { newMessage, type Message } from '../../core/message/index.js';

/**
 * A message for the cloud link, built when it is written to the outbox: its `msg_id` is fixed
 * then, so a resend after a reconnect carries the same id (docs/link.md).
 */
export function linkMessage<C>(
  node: string,
  objectId: string,
  type: LinkResourceType,
  operation: 'update' | 'upload',
  source: string,
  content: C,
  now: number,
): Message<C> {
  const slash = objectId.indexOf('/');
  const namespace = slash < 0 ? 'default' : objectId.slice(0, slash);
  const name = slash < 0 ? objectId : objectId.slice(slash + 1);
  return newMessage(
    {
      source,
      group: source === 'twin' ? 'twin' : 'user',
      operation,
      resource: linkResource(node, namespace, type, name),
    },
    content,
    { now },
  );
}

/** A value as KubeEdge's twin carries it: always a string. */
export function twinString(value: number | boolean | string | null): string {
  return value === null ? '' : String(value);
}
