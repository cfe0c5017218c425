import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ServiceCallContent,
  ServiceCallResultContent,
  ServiceCallResponse,
  ApiErrorBody,
} from '../../contracts/index.js';
import { buildResponse, type Message } from '../../core/message/index.js';
import { startTestCloud } from '../testing/cloud-under-test.js';
import { RawEdge, waitUntil } from '../testing/raw-edge.js';

/** What the API answers a call with: the target's answer, or the error that kept the call from it. */
type ServiceAnswer = Partial<ServiceCallResponse> & Partial<ApiErrorBody>;

/** `POST /api/v1/nodes/<node>/services` on a whole cloud; the node is a raw WebSocket that answers by hand. */
describe('cloud API: ServiceBus calls', () => {
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let edge: RawEdge;

  beforeAll(async () => {
    t = await startTestCloud();
    edge = await RawEdge.connect(t.cloud.ports.hub, 'edge-1');
  });
  afterAll(async () => {
    edge.close();
    await t.stop();
  });

  const post = async (node: string, body: unknown) => {
    const res = await fetch(`${t.api}/api/v1/nodes/${node}/services`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return { status: res.status, json: (await res.json()) as ServiceAnswer };
  };
  const callsSeen = () => edge.received.filter((m) => m.route.group === 'user');
  const nextCall = async (n: number): Promise<Message> => {
    await waitUntil(() => callsSeen().length >= n, `call ${n} at the edge`);
    return callsSeen()[n - 1]!;
  };
  const reply = (to: Message, result: ServiceCallResultContent) => edge.send(buildResponse(to, 'servicebus', result));

  it("passes the call to the node and answers 200 with the target's status, headers and body", async () => {
    const pending = post('edge-1', {
      method: 'put',
      target: '127.0.0.1:8080',
      path: '/cfg',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('v=1').toString('base64'),
      timeoutMs: 3000,
    });
    const call = await nextCall(1);
    expect(call.content).toEqual({
      method: 'PUT',
      target: '127.0.0.1:8080',
      path: '/cfg',
      headers: { 'content-type': 'text/plain' },
      body: 'dj0x',
      timeoutMs: 3000,
    } satisfies ServiceCallContent);
    reply(call, { status: 201, headers: { 'x-a': 'b' }, body: Buffer.from('done').toString('base64') });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 201, headers: { 'x-a': 'b' }, body: Buffer.from('done').toString('base64') });
  });

  it("answers the edge's refusal with its status, code and reason (403 for the allow-list)", async () => {
    const pending = post('edge-1', { method: 'GET', target: '10.9.9.9:80', path: '/' });
    reply(await nextCall(2), {
      status: 403,
      headers: {},
      body: '',
      error: {
        code: 'KEDGE_SERVICEBUS_FORBIDDEN',
        message: 'target 10.9.9.9:80 is not in the allow-list',
        hint: 'Add the target',
      },
    });
    const res = await pending;
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({
      code: 'KEDGE_SERVICEBUS_FORBIDDEN',
      message: 'node edge-1: target 10.9.9.9:80 is not in the allow-list',
      hint: 'Add the target',
    });
  });

  it('answers 504 when the node does not answer within timeoutMs', async () => {
    const res = await post('edge-1', { method: 'GET', target: '127.0.0.1:1', path: '/', timeoutMs: 100 });
    expect(res.status).toBe(504);
    expect(res.json.error?.code).toBe('KEDGE_CLOUDHUB_CALL_TIMEOUT');
  });

  it('answers 503 at once for a node that is not connected', async () => {
    const res = await post('edge-2', { method: 'GET', target: '127.0.0.1:80', path: '/' });
    expect(res.status).toBe(503);
    expect(res.json.error).toMatchObject({
      code: 'KEDGE_CLOUDHUB_NOT_CONNECTED',
      message: expect.stringContaining('edge-2'),
      hint: expect.any(String),
    });
  });

  it.each([
    ['no method', { target: '127.0.0.1:80', path: '/' }, '"method"'],
    ['a method with a space', { method: 'G T', target: '127.0.0.1:80', path: '/' }, '"method"'],
    ['a target without a port', { method: 'GET', target: 'example.com', path: '/' }, '"target"'],
    ['a URL as target', { method: 'GET', target: 'http://x:80', path: '/' }, '"target"'],
    ['a path without /', { method: 'GET', target: 'x:80', path: 'status' }, '"path"'],
    ['headers that are not strings', { method: 'GET', target: 'x:80', path: '/', headers: { a: 1 } }, '"headers"'],
    ['a body that is not base64', { method: 'GET', target: 'x:80', path: '/', body: 'not base64!' }, '"body"'],
    ['a timeout above the limit', { method: 'GET', target: 'x:80', path: '/', timeoutMs: 3_600_000 }, '"timeoutMs"'],
  ])('answers 400 for %s, naming the field', async (_n, body, field) => {
    const res = await post('edge-1', body);
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe('KEDGE_API_BAD_REQUEST');
    expect(res.json.error?.message).toContain(field);
  });
});
