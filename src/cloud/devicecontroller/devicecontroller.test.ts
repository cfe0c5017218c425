import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeviceColumnsBuilder,
  type CloudChannels,
  type CloudMqttPublish,
  type CloudRequests,
  type DownstreamItem,
} from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { SqliteLinkState, SqliteObjectStore, type StoredObject } from '../store/index.js';
import { DeviceController } from './index.js';

const model = (name = 'thermo'): StoredObject => ({
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name, namespace: 'default' },
  spec: {
    protocol: 'modbus',
    properties: [
      { name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' },
      { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
    ],
  },
});
const device = (name: string, node: string, desired?: string): StoredObject => ({
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name, namespace: 'default' },
  spec: {
    deviceModelRef: { name: 'thermo' },
    nodeName: node,
    protocol: { protocolName: 'modbus' },
    properties: desired ? [{ name: 'setpoint', desired: { value: desired } }] : [],
  },
});

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('DeviceController', () => {
  let store: SqliteObjectStore;
  let linkState: SqliteLinkState;
  let bus: Bus<CloudChannels, CloudRequests>;
  let clock: ManualClock;
  let dc: DeviceController;
  let sent: DownstreamItem[];
  let published: CloudMqttPublish[];
  /** msg ids claimed, and how many messages had been published when each claim ran. */
  let claims: Array<{ id: string; publishedBefore: number }>;
  let statusWrites: number;

  let registry = createMetricsRegistry();
  const make = () =>
    new DeviceController({
      bus,
      store,
      linkState,
      logger: silentLogger(),
      registry: (registry = createMetricsRegistry()),
      clock,
      statusIntervalMs: 1000,
    });
  /** Starts the controller with edge-1 and edge-2 connected to this cloud (only held nodes are sent objects). */
  const startConnected = async () => {
    await dc.start();
    for (const node of ['edge-1', 'edge-2']) bus.publish('link.connected', { node, ts: clock.now() });
    await flush();
  };
  const summary = (node?: string) =>
    sent.filter((i) => !node || i.node === node).map((i) => `${i.message.route.operation} ${i.key}`);
  const upload = (resource: string, content: unknown) => {
    const [namespace, type, name] = resource.split('/') as [string, string, string];
    const message = newMessage(
      { source: 'edgehub', group: 'hub', operation: 'update', resource: `node/edge-1/${resource}` },
      content,
    );
    return bus.request(`upstream.${type}` as 'upstream.devicetwin', {
      node: 'edge-1',
      message,
      resource: { namespace, type, name },
      claim: async () => void claims.push({ id: message.header.msg_id, publishedBefore: published.length }),
    });
  };

  beforeEach(async () => {
    store = new SqliteObjectStore({ file: ':memory:' });
    linkState = new SqliteLinkState(store.database);
    bus = new Bus({ logger: silentLogger() });
    clock = new ManualClock(1_000_000);
    sent = [];
    published = [];
    claims = [];
    statusWrites = 0;
    bus.subscribe('link.send', { name: 't', group: 't' }, (i) => void sent.push(i));
    bus.serve('cloudmqtt.publish', { name: 't', group: 't' }, (p) => void published.push(p));
    bus.serve('cloudmqtt.publishOnce', { name: 't', group: 't' }, async (req) => {
      await req.claim?.();
      published.push(...req.items);
      return undefined;
    });
    store.watch('DeviceStatus', '0', (e) => {
      if (e.type === 'MODIFIED' && e.object.status) statusWrites++;
    });
    await store.create(model());
    dc = make();
  });

  afterEach(async () => {
    await dc.stop();
    await store.close();
  });

  it('sends each node its devices, their model first, and desired values, without status', async () => {
    await store.create(device('a', 'edge-1', '20'));
    await store.create(device('b', 'edge-2'));
    await startConnected();
    expect(summary('edge-1')).toEqual([
      'insert devicemodel/default/thermo',
      'insert device/default/a',
      'update devicetwin/default/a',
    ]);
    expect(summary('edge-2')).toEqual(['insert devicemodel/default/thermo', 'insert device/default/b']);
    const dev = sent.find((i) => i.key === 'device/default/a')!.message;
    expect(dev.route.resource).toBe('node/edge-1/default/device/a');
    expect(dev.header.resourceversion).toBe((await store.get('Device', 'default', 'a'))!.metadata.resourceVersion);
    expect(dev.content).not.toHaveProperty('status');
    expect(sent.find((i) => i.key === 'devicetwin/default/a')!.message.content).toEqual({
      desired: { setpoint: '20' },
    });
  });

  it('follows store changes: updates, moves between nodes, deletes; status-only writes send nothing', async () => {
    await startConnected();
    const a = await store.create(device('a', 'edge-1'));
    await flush();
    expect(summary()).toEqual(['insert devicemodel/default/thermo', 'insert device/default/a']);
    sent = [];
    await store.updateStatus('Device', 'default', 'a', { state: 'online' });
    await flush();
    expect(sent).toEqual([]);
    await store.update({
      ...a,
      metadata: { ...a.metadata, resourceVersion: undefined },
      spec: { ...(a.spec as object), nodeName: 'edge-2' },
    });
    await flush();
    expect(summary('edge-1')).toEqual(['delete device/default/a', 'delete devicemodel/default/thermo']);
    expect(summary('edge-2')).toEqual(['insert devicemodel/default/thermo', 'insert device/default/a']);
    expect(sent.find((i) => i.node === 'edge-1' && i.key === 'device/default/a')!.remove).toBe(true);
    sent = [];
    await store.delete('Device', 'default', 'a');
    await flush();
    expect(summary()).toEqual(['delete device/default/a', 'delete devicemodel/default/thermo']);
  });

  it('after a restart sends only what the edge has not acknowledged (ObjectSync), and deletes what is gone', async () => {
    await store.create(device('a', 'edge-1'));
    await store.create(device('b', 'edge-1'));
    await startConnected();
    for (const i of sent) linkState.setAcked(i.node, i.key, i.token);
    // Objects of the node's other controllers (EdgeController, PodController) are not this one's to delete.
    linkState.setAcked('edge-1', 'mapperset/default/edge-1', 'm');
    linkState.setAcked('edge-1', 'pod/default/app', 'p');
    await dc.stop();
    const b = (await store.get('Device', 'default', 'b'))!;
    await store.update({
      ...b,
      spec: { ...(b.spec as object), protocol: { protocolName: 'modbus', configData: { ip: '10.0.0.9' } } },
    });
    await store.delete('Device', 'default', 'a');
    await store.create(device('c', 'edge-1'));
    sent = [];
    dc = make();
    await startConnected();
    expect(summary().sort()).toEqual(['delete device/default/a', 'insert device/default/c', 'update device/default/b']);
  });

  it('coalesces twin reports: many readings, at most one status write per device per interval', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    await flush();
    const before = statusWrites;
    for (let i = 0; i < 500; i++) {
      await upload('default/devicetwin/a', {
        properties: { temp: { reported: { value: String(i), quality: 'good', ts: clock.now(), version: i } } },
      });
      clock.advance(20); // 50 reports per second for 10 s
      await flush();
    }
    clock.advance(1000);
    await flush();
    const writes = statusWrites - before;
    expect(writes).toBeGreaterThanOrEqual(10);
    expect(writes).toBeLessThanOrEqual(11);
    const status = (await store.get('DeviceStatus', 'default', 'a'))!.status as {
      twins: Array<{ propertyName: string; reported: { value: string; metadata: Record<string, string> } }>;
    };
    expect(status.twins[0]).toMatchObject({
      propertyName: 'temp',
      reported: { value: '499', metadata: { quality: 'good', version: '499' } },
    });
    const twins = published.filter((p) => p.topic === 'kedge/twin/default/a');
    expect(twins).toHaveLength(500);
    expect(twins[499]).toMatchObject({
      retain: true,
      qos: 1,
      payload: { id: 'default/a', node: 'edge-1', properties: { temp: { reported: { value: '499' } } } },
    });
  });

  it('publishes device state for consumers and refuses bad content naming the field', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    expect(await upload('default/devicestate/a', { state: 'online', ts: 7 })).toEqual({ ok: true });
    expect(published.at(-1)).toMatchObject({
      topic: 'kedge/status/device/default/a',
      retain: true,
      payload: { state: 'online', node: 'edge-1' },
    });
    const bad = await upload('default/devicestate/a', { state: 'sleepy', ts: 8 });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringContaining('content field /state') });
    expect(await upload('default/devicestate/ghost', { state: 'online', ts: 9 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('default/ghost'),
    });
  });

  it('publishes column-wise telemetry per device in its order as the same payload, skips unknown devices, refuses columns that do not add up', async () => {
    await store.create(device('a', 'edge-1'));
    await store.create(device('b', 'edge-1'));
    await startConnected();
    const cols = (id: string, ts: number) => {
      const b = new DeviceColumnsBuilder(id);
      b.add('temp', ts, 'good', ts, 'C');
      b.add('setpoint', 7, 'uncertain', ts);
      return b.columns;
    };
    const devices = [cols('default/b', 1), cols('default/ghost', 2), cols('default/a', 3)];
    expect(await upload('default/telemetrycolumns/edge-1', { devices })).toEqual({ ok: true });
    expect(published.map((p) => p.topic)).toEqual(['kedge/telemetry/default/b', 'kedge/telemetry/default/a']);
    expect(JSON.parse(published[0]!.payload as string)).toEqual({
      namespace: 'default',
      device: 'b',
      node: 'edge-1',
      readings: [
        { property: 'temp', value: 1, unit: 'C', quality: 'good', ts: 1 },
        { property: 'setpoint', value: 7, quality: 'uncertain', ts: 1 },
      ],
    });
    // Claimed once, before any of its devices was published (a resend after a crash is not published again).
    expect(claims).toEqual([{ id: expect.any(String), publishedBefore: 0 }]);
    const text = await registry.metrics();
    expect(text).toMatch(/kedge_devicecontroller_rejected_total\{resource="telemetrycolumns"\} 1/);
    expect(text).toMatch(/kedge_devicecontroller_readings_total 4/);
    const broken = { ...cols('default/a', 4), p: [0, 2] };
    expect(await upload('default/telemetrycolumns/edge-1', { devices: [cols('default/b', 5), broken] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('/devices/1 (default/a): p[1] = 2 is not an index of properties'),
    });
    const short = { ...cols('default/a', 6), t: [[6, 1]] };
    expect(await upload('default/telemetrycolumns/edge-1', { devices: [short] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('the runs in t count 1 readings, p has 2'),
    });
    const badQuality = { ...cols('default/a', 7), q: [['excellent', 2]] };
    expect(await upload('default/telemetrycolumns/edge-1', { devices: [badQuality] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('/devices/0/q/0'),
    });
    expect(published).toHaveLength(2);
  });

  it("refuses a node's telemetry, twin reports and state about another node's device, counted, and publishes the rest", async () => {
    await store.create(device('mine', 'edge-1'));
    await store.create(device('theirs', 'edge-2'));
    const loose = device('loose', 'edge-1');
    (loose.spec as { nodeName: string }).nodeName = '';
    await store.create(loose);
    await dc.start();
    const cols = (id: string) => {
      const b = new DeviceColumnsBuilder(id);
      b.add('temp', 20, 'good', 1);
      return b.columns;
    };
    // edge-1 speaks (upload() sends as edge-1): its own device's readings go, the others' do not.
    const batch = { devices: [cols('default/theirs'), cols('default/mine'), cols('default/loose')] };
    expect(await upload('default/telemetrycolumns/edge-1', batch)).toEqual({ ok: true });
    expect(published.map((p) => p.topic)).toEqual(['kedge/telemetry/default/mine']);
    const report = { properties: { temp: { value: 21, ts: 1, version: 1, quality: 'good' } } };
    expect(await upload('default/devicetwin/theirs', report)).toEqual({
      ok: false,
      reason: 'Device default/theirs is bound to node edge-2; node edge-1 may not report on it',
    });
    expect(await upload('default/devicestate/theirs', { state: 'online', ts: 1 })).toMatchObject({ ok: false });
    expect(await upload('default/devicestate/loose', { state: 'online', ts: 1 })).toEqual({
      ok: false,
      reason: 'Device default/loose is bound to no node; node edge-1 may not report on it',
    });
    expect(published.map((p) => p.topic)).toEqual(['kedge/telemetry/default/mine']);
    expect(await upload('default/devicestate/mine', { state: 'online', ts: 1 })).toEqual({ ok: true });
    const text = await registry.metrics();
    expect(text).toMatch(/kedge_devicecontroller_unauthorized_total\{resource="telemetrycolumns"\} 2/);
    expect(text).toMatch(/kedge_devicecontroller_unauthorized_total\{resource="devicetwin"\} 1/);
    expect(text).toMatch(/kedge_devicecontroller_unauthorized_total\{resource="devicestate"\} 2/);
  });

  it('marks devices of a node that went away unknown on their availability topic', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'keepalive timeout', ts: 1 });
    await flush();
    expect(published.at(-1)).toMatchObject({
      topic: 'kedge/status/device/default/a',
      retain: true,
      payload: { state: 'unknown', reason: expect.stringContaining('edge-1') },
    });
  });

  it("shows a device's state as its availability topic does: unknown with the reason while its node is away", async () => {
    await store.create(device('a', 'edge-1'));
    await dc.start();
    const view = () => bus.request('twin.view', { namespace: 'default', name: 'a' });
    // Nobody is connected to a cloud that just started.
    expect(await view()).toMatchObject({ state: 'unknown', reason: 'node edge-1 is not ready: the cloud restarted' });
    bus.publish('link.connected', { node: 'edge-1', ts: 1 });
    await upload('default/devicestate/a', { state: 'offline', reason: 'Modbus timeout', ts: 2 });
    expect(await view()).toMatchObject({ state: 'offline', reason: 'Modbus timeout' });
    await upload('default/devicestate/a', { state: 'online', ts: 3 });
    expect(await view()).toMatchObject({ state: 'online' });
    expect((await view())!.reason).toBeUndefined();
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'keepalive timeout', ts: 4 });
    expect(await view()).toMatchObject({ state: 'unknown', reason: 'node edge-1 is not ready: keepalive timeout' });
    // The edge's own word comes back with the node (it sends states only when they change).
    bus.publish('link.connected', { node: 'edge-1', ts: 5 });
    expect(await view()).toMatchObject({ state: 'online' });
  });

  it('sets desired values into the Device spec, sends them down and waits for the read-back', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    sent = [];
    const pending = bus.request('twin.setDesired', {
      namespace: 'default',
      name: 'a',
      properties: { setpoint: '30' },
      waitMs: 5000,
    });
    await flush();
    expect(summary()).toEqual(['update device/default/a', 'update devicetwin/default/a']);
    expect(sent[1]!.message.content).toEqual({ desired: { setpoint: '30' } });
    const spec = (await store.get('Device', 'default', 'a'))!.spec as {
      properties: Array<{ name: string; desired: { value: string } }>;
    };
    expect(spec.properties).toEqual([{ name: 'setpoint', desired: { value: '30' } }]);
    await upload('default/devicetwin/a', {
      properties: {
        setpoint: {
          desired: { value: '30', ts: 9, version: 1 },
          reported: { value: '30', quality: 'good', ts: 10, version: 2 },
        },
      },
    });
    const view = await pending;
    expect(view.properties.setpoint).toEqual({
      desired: { value: '30', ts: 9, version: 1 },
      reported: { value: '30', quality: 'good', ts: 10, version: 2 },
      pending: false,
    });
    await expect(
      bus.request('twin.setDesired', { namespace: 'default', name: 'a', properties: { temp: '1' } }),
    ).rejects.toMatchObject({ code: 'KEDGE_DEVICECONTROLLER_BAD_DESIRED' });
    await expect(
      bus.request('twin.setDesired', { namespace: 'default', name: 'a', properties: { setpoint: 'warm' } }),
    ).rejects.toMatchObject({ code: 'KEDGE_DEVICECONTROLLER_BAD_DESIRED' });
    await expect(
      bus.request('twin.setDesired', { namespace: 'default', name: 'zz', properties: { setpoint: '1' } }),
    ).rejects.toMatchObject({ code: 'KEDGE_DEVICECONTROLLER_UNKNOWN_DEVICE' });
  });

  it("checks desired values against the model and the device's register, and stores them in one spelling", async () => {
    await store.create({
      ...model('relays'),
      spec: {
        protocol: 'modbus',
        properties: [
          { name: 'relay-2', type: 'BOOLEAN', accessMode: 'ReadWrite' },
          { name: 'pulse', type: 'FLOAT', accessMode: 'ReadWrite', minimum: '1.5', maximum: '98302.5', unit: 's' },
        ],
      },
    });
    const d = device('io', 'edge-1');
    await store.create({
      ...d,
      spec: {
        ...(d.spec as object),
        deviceModelRef: { name: 'relays' },
        properties: [
          {
            name: 'relay-2',
            visitors: { protocolName: 'modbus', configData: { register: 'CoilRegister', offset: 2 } },
          },
          {
            name: 'pulse',
            visitors: {
              protocolName: 'modbus',
              configData: { register: 'HoldingRegister', offset: 52, rawType: 'uint16', scale: 1.5 },
            },
          },
        ],
      },
    });
    await dc.start();
    const set = (properties: Record<string, string>) =>
      bus.request('twin.setDesired', { namespace: 'default', name: 'io', properties });
    await set({ 'relay-2': '1', pulse: '250.50' });
    const props = ((await store.get('Device', 'default', 'io'))!.spec as { properties: Array<{ desired?: unknown }> })
      .properties;
    expect(props.map((p) => p.desired)).toEqual([{ value: 'true' }, { value: '250.5' }]);
    const refused = async (properties: Record<string, string>) => {
      try {
        await set(properties);
      } catch (err) {
        expect((err as { code: string }).code).toBe('KEDGE_DEVICECONTROLLER_BAD_DESIRED');
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(await refused({ pulse: '1e9' })).toBe(
      'Device default/io: pulse=1e9: 1000000000 s is above the maximum 98302.5 s',
    );
    expect(await refused({ pulse: '250' })).toBe(
      'Device default/io: pulse=250: 250 s is not a multiple of 1.5 s (a uint16 register scaled by 1.5); nearest 250.5',
    );
  });

  it('a desired wait ends at the timeout with the value still pending', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    const pending = bus.request('twin.setDesired', {
      namespace: 'default',
      name: 'a',
      properties: { setpoint: '31' },
      waitMs: 2000,
    });
    await flush();
    clock.advance(2000);
    const view = await pending;
    expect(view.properties.setpoint).toMatchObject({ desired: { value: '31' }, pending: true });
  });

  it('stop() ends a pending desired wait at once, with the value still pending', async () => {
    await store.create(device('a', 'edge-1'));
    await startConnected();
    const pending = bus.request(
      'twin.setDesired',
      { namespace: 'default', name: 'a', properties: { setpoint: '25' }, waitMs: 60_000 },
      70_000,
    );
    await flush();
    await dc.stop();
    expect((await pending).properties.setpoint).toMatchObject({ pending: true });
    expect(clock.pending).toBe(0);
  });

  it('keeps the twin in a DeviceStatus owned by the Device, mirrors only state changes into the Device, deletes it with the Device', async () => {
    const a = await store.create(device('a', 'edge-1'));
    await dc.start();
    let deviceWrites = 0;
    await store.watch('Device', (await store.list('Device')).resourceVersion, () => void deviceWrites++);
    expect(await upload('default/devicestate/a', { state: 'online', ts: 1_000_000 })).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) {
      await upload('default/devicetwin/a', {
        properties: { temp: { reported: { value: String(i), quality: 'good', ts: clock.now(), version: i } } },
      });
      clock.advance(1000);
      await flush();
    }
    const ds = (await store.get('DeviceStatus', 'default', 'a'))!;
    expect(ds.metadata.ownerReferences).toEqual([
      { apiVersion: 'devices.kubeedge.io/v1beta1', kind: 'Device', name: 'a', uid: a.metadata.uid, controller: true },
    ]);
    expect(ds.status).toMatchObject({ state: 'online', twins: [{ propertyName: 'temp', reported: { value: '4' } }] });
    const mirrored = (await store.get('Device', 'default', 'a'))!.status;
    expect(mirrored).toEqual({ state: 'online', lastOnlineTime: new Date(1_000_000).toISOString() });
    expect(deviceWrites).toBe(1);
    await store.delete('Device', 'default', 'a');
    await flush();
    expect(await store.get('DeviceStatus', 'default', 'a')).toBeUndefined();
  });

  it('writes on top of what another writer put into the DeviceStatus meanwhile (409: re-read, recompute)', async () => {
    await store.create(device('a', 'edge-1'));
    await dc.start();
    const report = (v: number) =>
      upload('default/devicetwin/a', {
        properties: { temp: { reported: { value: String(v), quality: 'good', ts: clock.now(), version: v } } },
      });
    await report(1);
    clock.advance(1);
    await flush();
    const ds = (await store.get('DeviceStatus', 'default', 'a'))!;
    await store.updateStatus('DeviceStatus', 'default', 'a', { ...(ds.status as object), extensions: { by: 'other' } });
    clock.advance(1000);
    await report(2);
    clock.advance(1000);
    await flush();
    expect((await store.get('DeviceStatus', 'default', 'a'))!.status).toMatchObject({
      extensions: { by: 'other' },
      twins: [{ propertyName: 'temp', reported: { value: '2' } }],
    });
  });

  it('with CRDs before KubeEdge v1.23 (no DeviceStatus), writes the twin into Device status', async () => {
    const serves = store.serves.bind(store);
    store.serves = (kind) => kind !== 'DeviceStatus' && serves(kind);
    await store.create(device('a', 'edge-1'));
    await dc.start();
    await upload('default/devicetwin/a', {
      properties: { temp: { reported: { value: '7', quality: 'good', ts: clock.now(), version: 1 } } },
    });
    clock.advance(1);
    await flush();
    expect((await store.get('Device', 'default', 'a'))!.status).toMatchObject({
      twins: [{ propertyName: 'temp', reported: { value: '7' } }],
    });
    expect(await store.get('DeviceStatus', 'default', 'a')).toBeUndefined();
  });

  it('starts each twin from its stored DeviceStatus after a restart', async () => {
    await store.create(device('a', 'edge-1'));
    await dc.start();
    await upload('default/devicetwin/a', {
      properties: { temp: { reported: { value: '7', quality: 'good', ts: clock.now(), version: 3 } } },
    });
    clock.advance(1);
    await flush();
    await dc.stop();
    dc = make();
    await dc.start();
    expect((await bus.request('twin.view', { namespace: 'default', name: 'a' }))!.properties.temp).toMatchObject({
      reported: { value: '7', version: 3 },
    });
  });

  it('creates a DeviceStatus without reading it first, then writes on top of what it wrote (one request per write)', async () => {
    await store.create(device('a', 'edge-1'));
    await dc.start();
    await store.create(device('b', 'edge-1'));
    await flush();
    const calls: string[] = [];
    for (const m of ['get', 'create', 'update', 'updateStatus'] as const) {
      const real = (store[m] as (...a: unknown[]) => unknown).bind(store);
      (store as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
        const kind = typeof a[0] === 'string' ? a[0] : (a[0] as StoredObject).kind;
        if (kind === 'DeviceStatus') calls.push(m);
        return real(...a);
      };
    }
    for (let i = 1; i <= 3; i++) {
      for (const d of ['a', 'b'])
        await upload(`default/devicetwin/${d}`, {
          properties: { temp: { reported: { value: String(i), quality: 'good', ts: clock.now(), version: i } } },
        });
      clock.advance(1000);
      await flush();
    }
    const count = (m: string) => calls.filter((c) => c === m).length;
    expect({ get: count('get'), create: count('create'), updateStatus: count('updateStatus') }).toEqual({
      get: 0,
      create: 2,
      updateStatus: 6,
    });
  });
});
