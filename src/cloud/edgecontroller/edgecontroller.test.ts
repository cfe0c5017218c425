import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudChannels, CloudMqttPublish, CloudRequests, DownstreamItem } from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { SqliteLinkState, SqliteObjectStore, type StoredObject } from '../store/index.js';
import { EdgeController } from './index.js';

const device = (name: string, node: string, protocol: string): StoredObject => ({
  kind: 'Device',
  metadata: { name, namespace: 'default' },
  spec: { deviceModelRef: { name: 'm' }, nodeName: node, protocol: { protocolName: protocol } },
});
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
/** The replica holding a node sends it its mapper set: the node connects to this cloud. */
const connectNode = async (bus: Bus<CloudChannels, CloudRequests>, node: string, ts: number) => {
  bus.publish('link.connected', { node, ts });
  await flush();
};

describe('EdgeController', () => {
  let store: SqliteObjectStore;
  let linkState: SqliteLinkState;
  let bus: Bus<CloudChannels, CloudRequests>;
  let clock: ManualClock;
  let ec: EdgeController;
  let sent: DownstreamItem[];
  let published: CloudMqttPublish[];

  beforeEach(async () => {
    store = new SqliteObjectStore({ file: ':memory:' });
    linkState = new SqliteLinkState(store.database);
    bus = new Bus({ logger: silentLogger() });
    clock = new ManualClock(1_700_000_000_000);
    sent = [];
    published = [];
    bus.subscribe('link.send', { name: 't', group: 't' }, (i) => void sent.push(i));
    bus.serve('cloudmqtt.publish', { name: 't', group: 't' }, (p) => void published.push(p));
    ec = new EdgeController({
      bus,
      store,
      linkState,
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      clock,
      heartbeatWriteIntervalMs: 60_000,
    });
  });

  afterEach(async () => {
    await ec.stop();
    await store.close();
  });

  it('derives one mapper per protocol of the node devices and sends the set when it changes', async () => {
    await store.create(device('a', 'edge-1', 'modbus'));
    await store.create(device('b', 'edge-1', 'Modbus'));
    await ec.start();
    await connectNode(bus, 'edge-1', clock.now());
    expect(sent.map((i) => [i.key, i.message.route.resource, i.message.content])).toEqual([
      [
        'mapperset/default/edge-1',
        'node/edge-1/default/mapperset/edge-1',
        { mappers: [{ name: 'mapper-modbus', protocols: ['modbus'] }] },
      ],
    ]);
    await store.create(device('c', 'edge-1', 'opcua'));
    await store.create(device('d', 'edge-1', 'opcua'));
    await flush();
    expect(sent.at(-1)!.message.content).toEqual({
      mappers: [
        { name: 'mapper-modbus', protocols: ['modbus'] },
        { name: 'mapper-opcua', protocols: ['opcua'] },
      ],
    });
    expect(sent).toHaveLength(2);
    const node = await store.get('Node', '', 'edge-1');
    expect((node!.spec as { mappers: unknown[] }).mappers).toHaveLength(2);
  });

  it('re-derives the mapper set on spec changes only, not on Device status writes', async () => {
    const a = await store.create(device('a', 'edge-1', 'modbus'));
    await ec.start();
    await connectNode(bus, 'edge-1', clock.now());
    let nodeReads = 0;
    const get = store.get.bind(store);
    store.get = (kind, ns, name) => {
      if (kind === 'Node') nodeReads++;
      return get(kind, ns, name);
    };
    for (let i = 0; i < 5; i++) await store.updateStatus('Device', 'default', 'a', { twins: [{ n: i }] });
    await flush();
    expect(nodeReads).toBe(0);
    await store.update({
      ...a,
      metadata: { ...a.metadata, resourceVersion: undefined },
      spec: { ...(a.spec as object), protocol: { protocolName: 'opcua' } },
    });
    await flush();
    expect(nodeReads).toBe(1);
    expect(sent.at(-1)!.message.content).toEqual({ mappers: [{ name: 'mapper-opcua', protocols: ['opcua'] }] });
  });

  it('does not resend an acknowledged set after a restart', async () => {
    await store.create(device('a', 'edge-1', 'modbus'));
    await ec.start();
    await connectNode(bus, 'edge-1', clock.now());
    await linkState.setAcked('edge-1', sent[0]!.key, sent[0]!.token);
    await ec.stop();
    sent = [];
    ec = new EdgeController({
      bus,
      store,
      linkState,
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      clock,
    });
    await ec.start();
    await connectNode(bus, 'edge-1', clock.now());
    expect(sent).toEqual([]);
  });

  it('tracks ready and heartbeats from the link, publishes availability, and stores mapper status', async () => {
    await ec.start();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    expect(published.at(-1)).toMatchObject({
      topic: 'kedge/status/node/edge-1',
      retain: true,
      payload: { node: 'edge-1', ready: true },
    });
    clock.advance(15_000);
    bus.publish('link.heartbeat', { node: 'edge-1', ts: clock.now() });
    const ack = await bus.request('upstream.mapperstatus', {
      node: 'edge-1',
      message: newMessage(
        { operation: 'update', resource: 'node/edge-1/default/mapperstatus/mapper-modbus' },
        { name: 'mapper-modbus', protocols: ['modbus'], phase: 'Running', restarts: 1, ready: true, ts: 5 },
      ),
      resource: { namespace: 'default', type: 'mapperstatus', name: 'mapper-modbus' },
    });
    expect(ack).toEqual({ ok: true });
    const [view] = await bus.request('nodes.list', {});
    expect(view).toMatchObject({
      name: 'edge-1',
      ready: true,
      lastHeartbeat: new Date(clock.now()).toISOString(),
      mappers: [{ name: 'mapper-modbus', phase: 'Running', restarts: 1 }],
    });
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'keepalive timeout', ts: clock.now() });
    await flush();
    const node = await store.get('Node', '', 'edge-1');
    expect(node!.status).toMatchObject({ ready: false, reason: 'keepalive timeout' });
    expect(published.at(-1)).toMatchObject({
      topic: 'kedge/status/node/edge-1',
      payload: { ready: false, reason: 'keepalive timeout' },
    });
    const bad = await bus.request('upstream.mapperstatus', {
      node: 'edge-1',
      message: newMessage({ operation: 'update', resource: 'x' }, { name: 'm' }),
      resource: { namespace: 'default', type: 'mapperstatus', name: 'm' },
    });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringContaining('protocols') });
  });

  it('writes heartbeats at most once per interval', async () => {
    await ec.start();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    let writes = 0;
    await store.watch('Node', '0', () => void writes++);
    await flush();
    writes = 0;
    for (let i = 0; i < 40; i++) {
      clock.advance(15_000);
      bus.publish('link.heartbeat', { node: 'edge-1', ts: clock.now() });
      await flush();
    }
    expect(writes).toBeLessThanOrEqual(11);
    expect(writes).toBeGreaterThanOrEqual(9);
  });

  it('registers no Node for a bare connection (no token, no Device names it), lists it only while connected', async () => {
    await ec.start();
    for (let i = 0; i < 20; i++) bus.publish('link.connected', { node: `fake-${i}`, ts: clock.now() });
    await flush();
    bus.publish('link.heartbeat', { node: 'fake-0', ts: clock.now() });
    await flush();
    expect((await store.list('Node')).items).toEqual([]);
    expect(published.filter((p) => p.topic.startsWith('kedge/status/node/'))).toEqual([]);
    expect((await bus.request('nodes.list', {})).map((n) => n.name)).toHaveLength(20);
    for (let i = 0; i < 20; i++)
      bus.publish('link.disconnected', { node: `fake-${i}`, reason: 'gone', ts: clock.now() });
    await flush();
    expect(await bus.request('nodes.list', {})).toEqual([]);
    // Once a Device names the node it is registered, connected or not.
    bus.publish('link.connected', { node: 'fake-3', ts: clock.now() });
    await flush();
    await store.create(device('d3', 'fake-3', 'modbus'));
    await flush();
    expect((await store.get('Node', '', 'fake-3'))!.status).toMatchObject({ ready: true });
    expect(published.at(-1)).toMatchObject({ topic: 'kedge/status/node/fake-3', payload: { ready: true } });
  });

  it('marks nodes left ready by a previous run not ready at start', async () => {
    await store.create({ kind: 'Node', metadata: { name: 'edge-9', namespace: '' }, spec: { mappers: [] } });
    await store.updateStatus('Node', '', 'edge-9', {
      ready: true,
      lastHeartbeat: new Date(0).toISOString(),
      mappers: [],
    });
    await ec.start();
    expect((await store.get('Node', '', 'edge-9'))!.status).toMatchObject({
      ready: false,
      reason: 'the cloud restarted',
    });
  });
});
