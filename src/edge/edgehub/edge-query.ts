import {
  checkEdgeQuery,
  EDGE_QUERIES,
  type EdgeChannels,
  type EdgeQueryName,
  type EdgeRequests,
  type ServiceCallResultContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText, isKedgeError } from '../../core/errors/index.js';
import type { Message } from '../../core/message/index.js';
import { edgehubErrors } from './errors.js';
import { errorResult, MAX_CALL_MS } from './service-call.js';

/**
 * Answers an edge query from the cloud (docs/link.md "Edge queries") with the edge bus request
 * that serves it. Never rejects: an unknown query, bad parameters or a failing module is an
 * answer with the error's status and the reason, as for a ServiceBus call.
 */
export async function runEdgeQuery(
  bus: Bus<EdgeChannels, EdgeRequests>,
  msg: Message,
): Promise<ServiceCallResultContent> {
  const checked = checkEdgeQuery(msg.content);
  if (!checked.ok)
    return errorResult(
      edgehubErrors.create('KEDGE_EDGEHUB_BAD_CALL', `edge query ${msg.header.msg_id}: ${checked.reason}`),
    );
  const { query, params, timeoutMs } = checked.value;
  if (!Object.hasOwn(EDGE_QUERIES, query))
    return errorResult(
      edgehubErrors.create(
        'KEDGE_EDGEHUB_UNKNOWN_QUERY',
        `this edge does not answer query ${JSON.stringify(query)} (it answers ${Object.keys(EDGE_QUERIES).join(', ')})`,
      ),
    );
  const request = EDGE_QUERIES[query as EdgeQueryName];
  try {
    const answer = await bus.request(request, (params ?? {}) as never, Math.min(timeoutMs, MAX_CALL_MS));
    const text = typeof answer === 'string';
    return {
      status: 200,
      headers: { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json' },
      body: Buffer.from(text ? answer : JSON.stringify(answer ?? null)).toString('base64'),
    };
  } catch (err) {
    if (isKedgeError(err)) return errorResult(err);
    return errorResult(edgehubErrors.create('KEDGE_EDGEHUB_CALL_FAILED', errorText(err), { cause: err }));
  }
}
