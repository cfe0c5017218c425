import { cloudDefaults } from '../../core/config/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CloudChannels,
  CloudRequests,
  ServiceCallContent,
  ServiceCallResultContent,
} from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { buildResponse, newMessage, type Message } from '../../core/message/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { SqliteLinkState, SqliteObjectStore } from '../store/index.js';
import { type RawEdge, RawEdges, waitUntil } from '../testing/raw-edge.js';
import { CloudHub } from './index.js';

/** CloudHub's ServiceBus calls over a real WebSocket; the edge is a raw socket that answers by hand. */
describe('CloudHub ServiceBus calls', () => {
  let store: SqliteObjectStore;
  let bus: Bus<CloudChannels, CloudRequests>;
  let hub: CloudHub;
  let clock: ManualClock;
  const edges = new RawEdges();

  beforeEach(async () => {
    store = new SqliteObjectStore({ file: ':memory:' });
    bus = new Bus({ logger: silentLogger() });
    clock = new ManualClock(1_000);
    hub = new CloudHub({
      bus,
      linkState: new SqliteLinkState(store.database),
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      clock,
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 64 * 1024,
      keepaliveTimeoutMs: cloudDefaults().keepaliveTimeoutMs,
      idleTimeoutMs: cloudDefaults().idleTimeoutMs,
      maxPendingCallsPerNode: 3,
    });
    await hub.start();
  });

  afterEach(async () => {
    edges.closeAll();
    await hub.stop();
    await store.close();
  });

  const connect = (node: string) => edges.connect(hub, node);
  const calls = (edge: RawEdge) => edge.received.filter((m) => m.route.group === 'user');
  const call = (node: string, path: string, timeoutMs = 5_000) =>
    bus.request(
      'servicebus.call',
      { node, call: { method: 'GET', target: '127.0.0.1:8080', path }, timeoutMs },
      60_000,
    );
  const answer = (edge: RawEdge, to: Message, result: ServiceCallResultContent) =>
    edge.send(buildResponse(to, 'servicebus', result));
  const ok = (text: string): ServiceCallResultContent => ({
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: Buffer.from(text).toString('base64'),
  });

  it('sends a call as a user-group message with the KubeEdge route and resolves with the matching answer', async () => {
    const edge = await connect('edge-1');
    const pending = call('edge-1', '/status?x=1');
    await waitUntil(() => calls(edge).length === 1, 'call sent');
    const sent = calls(edge)[0]!;
    expect(sent.route).toEqual({
      source: 'router_servicebus',
      group: 'user',
      operation: 'GET',
      resource: 'node/edge-1/127.0.0.1:8080/status?x=1',
    });
    expect(sent.content).toEqual({
      method: 'GET',
      target: '127.0.0.1:8080',
      path: '/status?x=1',
      timeoutMs: 5_000,
    } satisfies ServiceCallContent);
    answer(edge, sent, ok('fine'));
    await expect(pending).resolves.toEqual(ok('fine'));
    expect(hub.pendingCallCount()).toBe(0);
  });

  it('matches concurrent calls by id, whatever order the answers come in', async () => {
    const edge = await connect('edge-1');
    const a = call('edge-1', '/a');
    const b = call('edge-1', '/b');
    const c = call('edge-1', '/c');
    await waitUntil(() => calls(edge).length === 3, 'three calls sent');
    const byPath = (p: string) => calls(edge).find((m) => (m.content as ServiceCallContent).path === p)!;
    answer(edge, byPath('/c'), ok('C'));
    answer(edge, byPath('/a'), ok('A'));
    answer(edge, byPath('/b'), ok('B'));
    const bodies = (await Promise.all([a, b, c])).map((r) => Buffer.from(r.body, 'base64').toString());
    expect(bodies).toEqual(['A', 'B', 'C']);
  });

  it("rejects with the edge's code, reason and status when the edge could not reach the target", async () => {
    const edge = await connect('edge-1');
    const pending = call('edge-1', '/x');
    await waitUntil(() => calls(edge).length === 1, 'call sent');
    answer(edge, calls(edge)[0]!, {
      status: 403,
      headers: {},
      body: '',
      error: {
        code: 'KEDGE_SERVICEBUS_FORBIDDEN',
        message: 'target 127.0.0.1:8080 is not in the allow-list',
        hint: 'add it',
      },
    });
    await expect(pending).rejects.toMatchObject({
      code: 'KEDGE_SERVICEBUS_FORBIDDEN',
      message: expect.stringContaining('not in the allow-list'),
      hint: 'add it',
      detail: { status: 403 },
    });
  });

  it('fails at once when the node is not connected; nothing is queued for a later connection', async () => {
    await expect(call('edge-9', '/x')).rejects.toMatchObject({ code: 'KEDGE_CLOUDHUB_NOT_CONNECTED' });
    const edge = await connect('edge-9');
    const other = call('edge-9', '/y');
    await waitUntil(() => calls(edge).length === 1, 'only the new call sent');
    expect((calls(edge)[0]!.content as ServiceCallContent).path).toBe('/y');
    answer(edge, calls(edge)[0]!, ok(''));
    await other;
  });

  it('fails a call after its timeout and drops a late answer', async () => {
    const edge = await connect('edge-1');
    const pending = call('edge-1', '/slow', 2_000);
    await waitUntil(() => calls(edge).length === 1, 'call sent');
    clock.advance(1_999);
    expect(hub.pendingCallCount()).toBe(1);
    clock.advance(1);
    await expect(pending).rejects.toMatchObject({
      code: 'KEDGE_CLOUDHUB_CALL_TIMEOUT',
      message: expect.stringContaining('2000 ms'),
    });
    answer(edge, calls(edge)[0]!, ok('late'));
    const next = call('edge-1', '/next');
    await waitUntil(() => calls(edge).length === 2, 'second call sent');
    answer(edge, calls(edge)[1]!, ok('next'));
    expect(Buffer.from((await next).body, 'base64').toString()).toBe('next');
  });

  it('fails pending calls when the link drops, and when a new connection replaces the old one', async () => {
    const edge = await connect('edge-1');
    const dropped = call('edge-1', '/a');
    await waitUntil(() => calls(edge).length === 1, 'call sent');
    edge.close();
    await expect(dropped).rejects.toMatchObject({ code: 'KEDGE_CLOUDHUB_LINK_LOST' });

    const first = await connect('edge-2');
    const replaced = call('edge-2', '/b').catch((err: unknown) => err);
    await waitUntil(() => calls(first).length === 1, 'call sent');
    const _second = await edges.connect(hub, 'edge-2', false);
    expect(await replaced).toMatchObject({
      code: 'KEDGE_CLOUDHUB_LINK_LOST',
      message: expect.stringContaining('replaced'),
    });
    expect(hub.pendingCallCount()).toBe(0);
  });

  it('bounds the calls waiting per node and fails the next one at once', async () => {
    const edge = await connect('edge-1');
    const three = [call('edge-1', '/1'), call('edge-1', '/2'), call('edge-1', '/3')];
    await expect(call('edge-1', '/4')).rejects.toMatchObject({ code: 'KEDGE_CLOUDHUB_TOO_MANY_CALLS' });
    await waitUntil(() => calls(edge).length === 3, 'three calls sent');
    expect(calls(edge).map((m) => (m.content as ServiceCallContent).path)).toEqual(['/1', '/2', '/3']);
    const other = await connect('edge-2');
    const elsewhere = call('edge-2', '/ok');
    await waitUntil(() => calls(other).length === 1, 'another node is not limited');
    answer(other, calls(other)[0]!, ok(''));
    await elsewhere;
    answer(edge, calls(edge)[0]!, ok(''));
    await three[0];
    const fourth = call('edge-1', '/4');
    await waitUntil(() => calls(edge).length === 4, 'room again after an answer');
    for (const m of calls(edge).slice(1)) answer(edge, m, ok(''));
    await Promise.all([three[1], three[2], fourth]);
  });

  it('fails a call whose answer is malformed, keeps the connection, and fails waiting calls when the cloud stops', async () => {
    const edge = await connect('edge-1');
    const pending = call('edge-1', '/x');
    await waitUntil(() => calls(edge).length === 1, 'call sent');
    edge.send(buildResponse(calls(edge)[0]!, 'servicebus', { status: 'fine', headers: {}, body: '' }));
    await expect(pending).rejects.toMatchObject({
      code: 'KEDGE_CLOUDHUB_MALFORMED_FRAME',
      message: expect.stringContaining('/status'),
    });
    expect(hub.connectedNodes).toEqual(['edge-1']);
    const waiting = call('edge-1', '/y');
    await waitUntil(() => calls(edge).length === 2, 'second call sent');
    await hub.stop();
    await expect(waiting).rejects.toMatchObject({
      code: 'KEDGE_CLOUDHUB_LINK_LOST',
      message: expect.stringContaining('stopping'),
    });
    await hub.start();
  });

  it('refuses a call larger than a frame before sending it', async () => {
    const edge = await connect('edge-1');
    const big = Buffer.alloc(64 * 1024).toString('base64');
    await expect(
      bus.request('servicebus.call', {
        node: 'edge-1',
        call: { method: 'POST', target: '127.0.0.1:1', path: '/', body: big },
        timeoutMs: 1000,
      }),
    ).rejects.toMatchObject({
      code: 'KEDGE_CLOUDHUB_CALL_TOO_LARGE',
    });
    expect(calls(edge)).toHaveLength(0);
  });

  it('an answer naming an unknown id, or coming from another node, settles nothing; object acks still work', async () => {
    const a = await connect('edge-1');
    const b = await connect('edge-2');
    const pending = call('edge-1', '/mine');
    await waitUntil(() => calls(a).length === 1, 'call sent');
    answer(b, calls(a)[0]!, ok('from the wrong node'));
    a.send(
      buildResponse(newMessage({ group: 'user', operation: 'GET', resource: 'x' }, null), 'servicebus', ok('unknown')),
    );
    // A downstream object and its ack, on the same link, at the same time.
    bus.publish('link.send', {
      node: 'edge-1',
      key: 'device/default/d1',
      token: '7',
      message: newMessage(
        {
          source: 'devicecontroller',
          group: 'resource',
          operation: 'update',
          resource: 'node/edge-1/default/device/d1',
        },
        {},
      ),
    });
    await waitUntil(() => a.received.some((m) => m.route.resource === 'node/edge-1/default/device/d1'), 'object sent');
    a.send(
      buildResponse(a.received.find((m) => m.route.resource === 'node/edge-1/default/device/d1')!, 'metamanager', {
        ok: true,
      }),
    );
    await waitUntil(() => hub.pendingObjectCount('edge-1') === 0, 'object acknowledged');
    expect(hub.pendingCallCount()).toBe(1);
    answer(a, calls(a)[0]!, ok('mine'));
    expect(Buffer.from((await pending).body, 'base64').toString()).toBe('mine');
  });
});
