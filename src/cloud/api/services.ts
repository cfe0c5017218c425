import { apiErrors, type CloudServiceCall, type ServiceCallRequest } from '../../contracts/index.js';

/** Default wait for the edge's answer: above the edge's own ServiceBus timeout (10 s), so its 504 and reason win. */
export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
const TARGET = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `POST /api/v1/nodes/<node>/services` body -> the bus request, or KEDGE_API_BAD_REQUEST naming the field. */
export function parseServiceCall(node: string, body: unknown, maxWaitMs: number): CloudServiceCall {
  const b = (body ?? {}) as Record<string, unknown>;
  const bad = (what: string) =>
    apiErrors.create(
      'KEDGE_API_BAD_REQUEST',
      `${what}; body is { "method", "target": "host:port", "path", "headers"?, "body"? (base64), "timeoutMs"? }`,
    );
  if (typeof b.method !== 'string' || !METHOD.test(b.method))
    throw bad(`"method" must be an HTTP method such as GET or POST`);
  if (typeof b.target !== 'string' || !TARGET.test(b.target))
    throw bad(`"target" must be host:port on the edge network, got ${JSON.stringify(b.target)}`);
  if (typeof b.path !== 'string' || !b.path.startsWith('/')) throw bad(`"path" must start with /`);
  const call: ServiceCallRequest = { method: b.method.toUpperCase(), target: b.target, path: b.path };
  if (b.headers !== undefined) {
    const h = b.headers;
    if (!h || typeof h !== 'object' || Array.isArray(h) || Object.values(h).some((v) => typeof v !== 'string'))
      throw bad('"headers" must be an object of strings');
    call.headers = h as Record<string, string>;
  }
  if (b.body !== undefined) {
    if (typeof b.body !== 'string' || b.body.length % 4 !== 0 || !BASE64.test(b.body))
      throw bad('"body" must be base64');
    if (b.body !== '') call.body = b.body;
  }
  let timeoutMs = DEFAULT_CALL_TIMEOUT_MS;
  if (b.timeoutMs !== undefined) {
    if (typeof b.timeoutMs !== 'number' || !Number.isInteger(b.timeoutMs) || b.timeoutMs < 1 || b.timeoutMs > maxWaitMs)
      throw bad(`"timeoutMs" must be an integer from 1 to ${maxWaitMs}`);
    timeoutMs = b.timeoutMs;
  }
  return { node, call, timeoutMs };
}
