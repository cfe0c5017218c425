import {
  checkServiceCall,
  ServiceBusRoute,
  type EdgeChannels,
  type EdgeRequests,
  type ServiceCallResultContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText, isKedgeError } from '../../core/errors/index.js';
import { buildResponse, serializeMessage, type Message } from '../../core/message/index.js';
import { edgehubErrors } from './errors.js';

/** A call never waits longer than this on the edge, whatever the cloud asked (5 min). */
export const MAX_CALL_MS = 300_000;

/**
 * Status for an error that kept the call from its target, by the code's last word, as the cloud
 * API maps codes: ServiceBus says FORBIDDEN (allow-list), TIMEOUT, TOO_LARGE, BAD_REQUEST,
 * UPSTREAM (target refused or too big an answer); no ServiceBus on the node is 503.
 */
export function callErrorStatus(code: string): number {
  if (code.endsWith('_FORBIDDEN')) return 403;
  if (code.endsWith('_TIMEOUT')) return 504;
  if (code.endsWith('_TOO_LARGE')) return 413;
  if (code.endsWith('_BAD_REQUEST') || code === 'KEDGE_EDGEHUB_BAD_CALL') return 400;
  if (code === 'KEDGE_BUS_NO_HANDLER') return 503;
  return 502;
}

/** An error answer: the reason as a text body too (what KubeEdge's ServiceBus sends) and in `error`. */
export function errorResult(
  code: string,
  message: string,
  hint?: string,
  status = callErrorStatus(code),
): ServiceCallResultContent {
  return {
    status,
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
      'KEDGE_EDGEHUB_BAD_CALL',
      `ServiceBus call ${msg.header.msg_id}: ${checked.reason}`,
      edgehubErrors.hints.KEDGE_EDGEHUB_BAD_CALL,
    );
  const { timeoutMs, ...call } = checked.value;
  try {
    return await bus.request('servicebus.call', call, Math.min(timeoutMs, MAX_CALL_MS));
  } catch (err) {
    if (!isKedgeError(err))
      return errorResult('KEDGE_EDGEHUB_CALL_FAILED', errorText(err), edgehubErrors.hints.KEDGE_EDGEHUB_CALL_FAILED);
    const message =
      err.code === 'KEDGE_BUS_TIMEOUT'
        ? `${call.method} ${call.target}${call.path} did not answer within ${timeoutMs} ms`
        : err.message;
    return errorResult(err.code, message, err.hint);
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
    'KEDGE_EDGEHUB_ANSWER_TOO_BIG',
    `the answer of ${size} bytes is more than a link frame may carry (${maxFrameBytes})`,
    edgehubErrors.hints.KEDGE_EDGEHUB_ANSWER_TOO_BIG,
    502,
  );
  return serializeMessage(buildResponse(call, ServiceBusRoute.responseSource, tooBig, now));
}
