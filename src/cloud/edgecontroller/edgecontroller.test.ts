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
    await flush();
    // A Device names it: its Node exists before it connects, not ready.
    const waiting = await store.get('Node', '', 'edge-1');
    expect((waiting!.status as { conditions: unknown[] }).conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'Unknown' }),
    );
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
    expect(JSON.parse(node!.metadata.annotations!['kedge.io/mappers']!)).toHaveLength(2);
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
    expect((node!.status as { conditions: unknown[] }).conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'Unknown',
        reason: 'EdgeDisconnected',
        message: 'keepalive timeout',
      }),
    ]);
    expect(JSON.parse(node!.metadata.annotations!['kedge.io/mapper-status']!)).toMatchObject([
      { name: 'mapper-modbus', phase: 'Running', restarts: 1 },
    ]);
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
    // Once a Device names the connected node it is registered, as when it connected.
    bus.publish('link.connected', { node: 'fake-3', ts: clock.now() });
    await flush();
    await store.create(device('d3', 'fake-3', 'modbus'));
    await flush();
    clock.advance(1); // the Lease is written by its coalescer, at once but on a timer
    await flush();
    const node = await store.get('Node', '', 'fake-3');
    expect((node!.status as { conditions: unknown[] }).conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    );
    expect((await store.get('Lease', 'kube-node-lease', 'fake-3'))?.spec).toMatchObject({ holderIdentity: 'fake-3' });
    expect(published.at(-1)).toMatchObject({ topic: 'kedge/status/node/fake-3', payload: { ready: true } });
  });

  it('marks nodes left ready by a previous run not ready at start', async () => {
    await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-9', namespace: '' }, spec: {} });
    const ready = { type: 'Ready', status: 'True', lastHeartbeatTime: '2020-01-01T00:00:00Z' };
    await store.updateStatus('Node', '', 'edge-9', { conditions: [ready] });
    await ec.start();
    const [{ nodes }] = [{ nodes: await bus.request('nodes.list', {}) }];
    expect(nodes).toEqual([
      {
        name: 'edge-9',
        ready: false,
        reason: 'the cloud restarted',
        lastHeartbeat: '2020-01-01T00:00:00.000Z',
        mappers: [],
      },
    ]);
    expect((await store.get('Node', '', 'edge-9'))!.status).toMatchObject({
      conditions: [{ type: 'Ready', status: 'Unknown', message: 'the cloud restarted' }],
    });
  });

  it('registers a connecting edge as a core/v1 Node with the edge role, a NoSchedule taint, and a Ready condition', async () => {
    await ec.start();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    const node = (await store.get('Node', '', 'edge-1'))!;
    expect(node.apiVersion).toBe('v1');
    expect(node.metadata.labels).toEqual({
      'node-role.kubernetes.io/edge': '',
      'node-role.kubernetes.io/agent': '',
      'kubernetes.io/hostname': 'edge-1',
    });
    expect(node.spec).toEqual({ taints: [{ key: 'node-role.kubernetes.io/edge', effect: 'NoSchedule' }] });
    const at = new Date(clock.now()).toISOString().replace('.000Z', 'Z');
    expect(node.status).toMatchObject({
      allocatable: { pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'EdgeReady',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
      ],
    });
    // Conditions written by others (the node lifecycle controller, a CNI) are kept.
    const other = { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' };
    const status = node.status as { conditions: unknown[] };
    await store.updateStatus('Node', '', 'edge-1', { ...status, conditions: [other, ...status.conditions] });
    clock.advance(5_000);
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'closed', ts: clock.now() });
    await flush();
    const after = (await store.get('Node', '', 'edge-1'))!.status as { conditions: Array<{ type: string }> };
    expect(after.conditions.map((c) => c.type)).toEqual(['NetworkUnavailable', 'Ready']);
    expect(after.conditions[1]).toMatchObject({
      status: 'Unknown',
      lastTransitionTime: new Date(clock.now()).toISOString().replace('.000Z', 'Z'),
    });
  });

  it('renews a Lease in kube-node-lease while the node is connected, at most every 10 s', async () => {
    await ec.start();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    clock.advance(1);
    await flush();
    const node = (await store.get('Node', '', 'edge-1'))!;
    const lease = (await store.get('Lease', 'kube-node-lease', 'edge-1'))!;
    expect(lease.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'edge-1', uid: node.metadata.uid },
    ]);
    expect(lease.spec).toEqual({
      holderIdentity: 'edge-1',
      leaseDurationSeconds: 40,
      renewTime: new Date(clock.now() - 1).toISOString().replace(/Z$/, '000Z'),
    });
    let renewals = 0;
    await store.watch('Lease', (await store.list('Lease')).resourceVersion, () => void renewals++);
    for (let i = 0; i < 60; i++) {
      clock.advance(1_000);
      bus.publish('link.heartbeat', { node: 'edge-1', ts: clock.now() });
      await flush();
    }
    expect(renewals).toBeGreaterThanOrEqual(5);
    expect(renewals).toBeLessThanOrEqual(7);
    const renewed = (await store.get('Lease', 'kube-node-lease', 'edge-1'))!;
    expect(Date.parse((renewed.spec as { renewTime: string }).renewTime)).toBeGreaterThan(clock.now() - 11_000);
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'closed', ts: clock.now() });
    await flush();
    renewals = 0;
    for (let i = 0; i < 30; i++) {
      clock.advance(1_000);
      await flush();
    }
    expect(renewals).toBe(0);
  });

  it('disconnects the edge of a deleted Node, which registers again when it reconnects', async () => {
    const disconnects: Array<{ node: string; reason: string }> = [];
    bus.subscribe('link.disconnect', { name: 't', group: 't' }, (e) => void disconnects.push(e));
    await ec.start();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    const first = (await store.get('Node', '', 'edge-1'))!;
    await store.delete('Node', '', 'edge-1');
    await flush();
    expect(disconnects).toEqual([{ node: 'edge-1', reason: 'Node edge-1 was deleted' }]);
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'Node edge-1 was deleted', ts: clock.now() });
    clock.advance(120_000);
    bus.publish('link.heartbeat', { node: 'edge-1', ts: clock.now() });
    await flush();
    expect(await store.get('Node', '', 'edge-1')).toBeUndefined();
    bus.publish('link.connected', { node: 'edge-1', ts: clock.now(), identity: 'token' });
    await flush();
    const again = (await store.get('Node', '', 'edge-1'))!;
    expect(again.metadata.uid).not.toBe(first.metadata.uid);
    expect(again.status).toMatchObject({ conditions: [{ type: 'Ready', status: 'True' }] });
  });
});
