import type { Logger } from 'pino';
import type { EdgeChannels, EdgeRequests, LinkResourceType } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import { linkMessage } from '../shared/index.js';
import type { OutboxStore } from '../store/index.js';

export interface StatusOutboxDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  outbox: OutboxStore;
  logger: Logger;
  node: string;
}

/**
 * Queues a status for the cloud (a mapper workload's or a Pod's): an outbox entry keyed by its
 * object, so only the newest one of each is pending while the link is down. A store that refuses
 * the write is logged, not thrown: the next status of that object tries again.
 */
export function queueStatus(
  deps: StatusOutboxDeps,
  status: { key: string; objectId: string; resource: LinkResourceType; content: { ts: number } },
): void {
  const { key, objectId, resource, content } = status;
  try {
    deps.outbox.append([
      {
        kind: 'status',
        key,
        message: linkMessage(deps.node, objectId, resource, 'update', 'edged', content, content.ts),
      },
    ]);
    // Committed by append's own transaction (this runs outside the batcher): announce it now.
    deps.bus.publish('outbox.appended', { count: 1 });
  } catch (err) {
    deps.logger.warn({ object: `${resource}/${objectId}`, err: errorText(err) }, 'status not queued for the cloud');
  }
}
