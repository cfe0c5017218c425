import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  EdgeChannels,
  EdgeRequests,
  ServiceCallContent,
  ServiceCallResultContent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage, type Message } from '../../core/message/index.js';
import type { Registry } from '../../core/metrics/index.js';
import { ServiceBus } from '../servicebus/index.js';
import type { SqliteOutboxStore } from '../store/index.js';
import type { EdgeHub, EdgeHubDeps } from './index.js';
import { HubHarness, type FakeCloud, waitFor } from './testing/test-cloud.js';

/** EdgeHub routing ServiceBus calls from a (fake) cloud to the real ServiceBus and a real HTTP server. */
describe('EdgeHub ServiceBus calls', () => {
  let h: HubHarness;
  let cloud: FakeCloud;
  let outbox: SqliteOutboxStore;
  let bus: Bus<EdgeChannels, EdgeRequests>;
  let registry: Registry;
  let hub: EdgeHub | undefined;
  let servicebus: ServiceBus | undefined;
  let target: Server;
  let targetPort: number;
  let inbound: Message[];
  let release: (() => void) | undefined;

  beforeEach(async () => {
    h = await HubHarness.start();
    ({ cloud, outbox, bus, registry } = h);
    inbound = [];
    bus.subscribe('cloud.inbound', { name: 'test', group: 'test' }, (m) => void inbound.push(m));
    target = createServer((req, res) => {
      if (req.url === '/big') return void res.end('z'.repeat(20_000));
      if (req.url === '/slow') return void (release = () => res.end('late'));
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(200, { 'x-method': req.method ?? '' }).end(`${req.url}|${body}`));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    targetPort = (target.address() as AddressInfo).port;
  });

  afterEach(async () => {
    release?.();
    release = undefined;
    await h.stopHub();
    hub = undefined;
    await servicebus?.stop();
    servicebus = undefined;
    await h.close();
    target.closeAllConnections();
    await new Promise<void>((r) => target.close(() => r()));
  });

  const start = async (allow = [`127.0.0.1:${targetPort}`], over: Partial<EdgeHubDeps> = {}, withServiceBus = true) => {
    if (withServiceBus) {
      servicebus = new ServiceBus({ bus, logger: silentLogger(), port: 0, allow, limits: { timeoutMs: 2_000 } });
      await servicebus.start();
    }
    hub = await h.startHub(over);
    await waitFor(() => hub!.connected, 'connected');
  };

  const send = (content: Partial<ServiceCallContent> | Record<string, unknown>) => {
    const c = { method: 'GET', target: `127.0.0.1:${targetPort}`, path: '/', timeoutMs: 5_000, ...content } as {
      method: string;
      target: string;
      path: string;
    };
    const msg = newMessage(
      { source: 'router_servicebus', group: 'user', operation: c.method, resource: `node/edge-1/${c.target}${c.path}` },
      c,
    );
    cloud.send(msg);
    return msg;
  };
  const answerTo = (msg: Message) =>
    cloud.received.find((m) => m.route.operation === 'response' && m.header.parent_msg_id === msg.header.msg_id);
  const answer = async (msg: Message) => {
    await waitFor(() => answerTo(msg) !== undefined, `answer to ${msg.route.resource}`);
    return answerTo(msg)!;
  };
  const result = async (msg: Message) => (await answer(msg)).content as ServiceCallResultContent;
  const text = (r: ServiceCallResultContent) => Buffer.from(r.body, 'base64').toString();

  it('calls the target through servicebus.call and answers on the socket, not through the bus or the outbox', async () => {
    await start();
    const call = send({
      method: 'POST',
      path: '/hello?x=1',
      body: Buffer.from('hi').toString('base64'),
      headers: { 'x-a': 'b' },
    });
    const res = await answer(call);
    expect(res.route).toEqual({
      source: 'servicebus',
      group: 'user',
      operation: 'response',
      resource: call.route.resource,
    });
    const r = res.content as ServiceCallResultContent;
    expect(r.status).toBe(200);
    expect(r.headers['x-method']).toBe('POST');
    expect(text(r)).toBe('/hello?x=1|hi');
    expect(r.error).toBeUndefined();
    expect(inbound).toHaveLength(0);
    expect(outbox.stats().count).toBe(0);
  });

  it('answers a refusal with an error status and the reason, never crashing: allow-list 403, target down 502, bad call 400', async () => {
    const downPort = await freePortOf();
    await start([`127.0.0.1:${targetPort}`, `127.0.0.1:${downPort}`]);
    const forbidden = await result(send({ target: '127.0.0.2:80' }));
    expect(forbidden).toMatchObject({
      status: 403,
      error: {
        code: 'KEDGE_SERVICEBUS_FORBIDDEN',
        message: expect.stringContaining('127.0.0.2:80 is not in the allow-list'),
        hint: expect.any(String),
      },
    });
    expect(text(forbidden)).toContain('KEDGE_SERVICEBUS_FORBIDDEN');
    const down = await result(send({ target: `127.0.0.1:${downPort}` }));
    expect(down).toMatchObject({
      status: 502,
      error: { code: 'KEDGE_SERVICEBUS_UPSTREAM', message: expect.stringContaining('ECONNREFUSED') },
    });
    const bad = await result(send({ timeoutMs: 'soon' }));
    expect(bad).toMatchObject({
      status: 400,
      error: { code: 'KEDGE_EDGEHUB_BAD_CALL', message: expect.stringContaining('timeoutMs') },
    });
    expect(text(await result(send({ path: '/still-fine' })))).toBe('/still-fine|');
    expect(cloud.paths).toHaveLength(1);
    expect(cloud.closes).toHaveLength(0);
  });

  it('gives up after the timeout the cloud sent, with 504', async () => {
    await start();
    const r = await result(send({ path: '/slow', timeoutMs: 100 }));
    expect(r).toMatchObject({
      status: 504,
      error: { code: 'KEDGE_BUS_TIMEOUT', message: expect.stringContaining('within 100 ms') },
    });
  });

  it('answers 503 when the node runs no ServiceBus', async () => {
    await start(undefined, {}, false);
    expect(await result(send({}))).toMatchObject({ status: 503, error: { code: 'KEDGE_BUS_NO_HANDLER' } });
  });

  it('replaces an answer too big for a frame by a 502 that says so', async () => {
    await start(undefined, { sender: { maxFrameBytes: 8_000 } });
    const r = await result(send({ path: '/big' }));
    expect(r).toMatchObject({
      status: 502,
      error: { code: 'KEDGE_EDGEHUB_ANSWER_TOO_BIG', message: expect.stringContaining('8000') },
    });
    expect(cloud.closes).toHaveLength(0);
  });

  it('drops the answer of a call whose connection dropped (the cloud failed it), and sends nothing later', async () => {
    await start();
    const call = send({ path: '/slow', timeoutMs: 5_000 });
    await waitFor(() => release !== undefined, 'the target got the request');
    cloud.dropConnections();
    await waitFor(() => cloud.paths.length === 2 && hub!.connected, 'reconnected');
    release!();
    const finished = async () =>
      (await registry.getSingleMetricAsString('kedge_edgehub_service_calls_total')).includes('code="ok"} 1');
    for (let i = 0; i < 500 && !(await finished()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await finished()).toBe(true);
    const later = send({ path: '/after' });
    expect(text(await result(later))).toBe('/after|');
    expect(answerTo(call)).toBeUndefined();
    expect(outbox.stats().count).toBe(0);
  });
});

async function freePortOf(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
