import {
  checkServiceCall,
  ServiceBusRoute,
  type EdgeChannels,
  type EdgeRequests,
  type ServiceCallResultContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText, isKedgeError, KedgeError } from '../../core/errors/index.js';
import { buildResponse, serializeMessage, type Message } from '../../core/message/index.js';
import { edgehubErrors } from './errors.js';

/** A call never waits longer than this on the edge, whatever the cloud asked (5 min). */
export const MAX_CALL_MS = 300_000;

/**
 * An error answer, for an error that kept the call from its target: the reason as a text body too
 * (what KubeEdge's ServiceBus sends) and in `error`. The status is the error's own (403 not in the
 * allow-list, 504 timeout, 413 too large, 503 no ServiceBus); one that says no more than 500
 * becomes 502, as the edge is the gateway here.
 */
export function errorResult(err: KedgeError): ServiceCallResultContent {
  const { code, message, hint } = err;
  return {
    status: err.status === 500 ? 502 : err.status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: Buffer.from(`${code}: ${message}\n`).toString('base64'),
    error: hint ? { code, message, hint } : { code, message },
  };
}

/**
 * Runs a ServiceBus call from the cloud through `servicebus.call` on the edge bus. Never rejects:
 * every failure (bad call, not allowed, timeout, target down, no ServiceBus) is an answer with an
 * error status and the reason.
 */
export async function runServiceCall(
  bus: Bus<EdgeChannels, EdgeRequests>,
  msg: Message,
): Promise<ServiceCallResultContent> {
  const checked = checkServiceCall(msg.content);
  if (!checked.ok)
    return errorResult(
      edgehubErrors.create('KEDGE_EDGEHUB_BAD_CALL', `ServiceBus call ${msg.header.msg_id}: ${checked.reason}`),
    );
  const { timeoutMs, ...call } = checked.value;
  try {
    return await bus.request('servicebus.call', call, Math.min(timeoutMs, MAX_CALL_MS));
  } catch (err) {
    if (!isKedgeError(err))
      return errorResult(edgehubErrors.create('KEDGE_EDGEHUB_CALL_FAILED', errorText(err), { cause: err }));
    if (err.code !== 'KEDGE_BUS_TIMEOUT') return errorResult(err);
    const message = `${call.method} ${call.target}${call.path} did not answer within ${timeoutMs} ms`;
    return errorResult(new KedgeError(err.code, message, { hint: err.hint, status: err.status }));
  }
}

/** The answer's frame; one above `maxFrameBytes` is replaced by a 502 that says so (it could never be delivered). */
export function serviceCallAnswer(
  call: Message,
  result: ServiceCallResultContent,
  now: number,
  maxFrameBytes: number,
): string {
  const text = serializeMessage(buildResponse(call, ServiceBusRoute.responseSource, result, now));
  const size = Buffer.byteLength(text);
  if (size <= maxFrameBytes) return text;
  const tooBig = errorResult(
    edgehubErrors.create(
      'KEDGE_EDGEHUB_ANSWER_TOO_BIG',
      `the answer of ${size} bytes is more than a link frame may carry (${maxFrameBytes})`,
    ),
  );
  return serializeMessage(buildResponse(call, ServiceBusRoute.responseSource, tooBig, now));
}
