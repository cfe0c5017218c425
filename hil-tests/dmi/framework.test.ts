/**
 * kedge edge's DMI server against a mapper that behaves as KubeEdge's mapper-framework template
 * (framework-mapper.ts): gRPC over unix sockets with the DMI v1beta1 wire format, a device shaped
 * like KubeEdge's counter demo (a custom protocol, protocol configData left empty).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NODE, startEdge, type RunningEdge } from '../edge/fixtures.js';
import { FrameworkMapper } from './framework-mapper.js';

const ID = 'default/counter';

const model = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'counter-model', namespace: 'default' },
  spec: {
    protocol: 'virtualProtocol',
    properties: [
      { name: 'status', type: 'STRING', accessMode: 'ReadWrite' },
      { name: 'count', type: 'INT', accessMode: 'ReadWrite' },
    ],
  },
};

const counter = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name: 'counter', namespace: 'default' },
  spec: {
    deviceModelRef: { name: 'counter-model' },
    nodeName: NODE,
    protocol: { protocolName: 'virtualProtocol', configData: null },
    properties: [
      { name: 'status', visitors: { configData: { name: 'status' } }, collectCycle: 100, reportToCloud: true },
      { name: 'count', visitors: { configData: { name: 'count' } }, collectCycle: 100, reportToCloud: true },
    ],
    stateReport: { reportCycle: 100, reportToCloud: true },
  },
};

describe('DMI: a mapper-framework mapper against kedge edge', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function edgeWithCounter(dataDir?: string): Promise<RunningEdge> {
    const edge = await startEdge({}, {}, dataDir);
    cleanup.push(() => edge.close());
    if (!dataDir) await edge.node.bus.request('meta.apply', { documents: [model, counter] });
    return edge;
  }

  function mapperFor(edge: RunningEdge, protocol = 'virtualProtocol'): FrameworkMapper {
    const mapper = new FrameworkMapper({
      name: 'virtual-mapper',
      protocol,
      socket: join(edge.dataDir, 'mapper', 'virtual.sock'),
      edgeSocket: join(edge.dataDir, 'dmi.sock'),
    });
    cleanup.push(() => mapper.stop());
    return mapper;
  }

  const view = (edge: RunningEdge) => edge.node.bus.request('twin.view', { deviceId: ID });

  it('registers, gets its devices, reports twins and states; a desired value reaches it in UpdateDevice and is confirmed', async () => {
    const edge = await edgeWithCounter();
    const mapper = mapperFor(edge);
    mapper.values.set(`${ID}/count`, '41');
    mapper.values.set(`${ID}/status`, 'ON');
    await mapper.start();

    // MapperRegister withData answered with the device (and its model), as edgecore does.
    const pb = mapper.device(ID)!;
    expect(pb.spec?.deviceModelReference).toBe('counter-model');
    expect(pb.spec?.protocol?.protocolName).toBe('virtualProtocol');
    expect(pb.spec?.properties.map((p) => p.name)).toEqual(['status', 'count']);
    expect(pb.status).toMatchObject({ reportToCloud: true, reportCycle: 100 });
    expect(mapper.panics).toEqual([]);
    // Edged starts no kedge mapper for a protocol a DMI mapper serves.
    expect(await edge.node.bus.request('dmi.served', {})).toEqual({ protocols: ['virtualprotocol'] });

    await vi.waitFor(
      async () => {
        const v = await view(edge);
        expect(v?.state).toBe('online'); // "ok" from ReportDeviceStates
        expect(v?.properties['count']?.reported?.value).toBe('41');
        expect(v?.properties['status']?.reported?.value).toBe('ON');
      },
      { timeout: 10_000, interval: 100 },
    );

    // GetDevice: the mapper's own view of the device, through the edge API.
    const res = await fetch(`http://127.0.0.1:${edge.node.api.port}/api/v1/devices/default/counter/dmi`);
    expect(res.status).toBe(200);
    const held = (await res.json()) as {
      mapper: string;
      twins: Array<{ propertyName: string; reported?: { value: string } }>;
    };
    expect(held.mapper).toBe('virtual-mapper');
    expect(held.twins.find((t) => t.propertyName === 'count')?.reported?.value).toBe('41');
    expect(mapper.calls).toContain('GetDevice');
    const unknown = await fetch(`http://127.0.0.1:${edge.node.api.port}/api/v1/devices/default/nope/dmi`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/KEDGE_DMI_UNKNOWN_DEVICE.*default\/nope/s);

    const calls = mapper.calls.length;
    const answer = await edge.node.bus.request('twin.setDesired', {
      deviceId: ID,
      properties: { count: '7' },
      waitMs: 10_000,
    });
    expect(answer.properties['count']).toMatchObject({ desired: { value: '7' }, reported: { value: '7' } });
    expect(answer.properties['count']?.pending).toBeUndefined();
    expect(mapper.calls.slice(calls)).toContain('UpdateDevice');
    expect(mapper.device(ID)?.spec?.properties.find((p) => p.name === 'count')?.desired?.value).toBe('7');
    expect(mapper.values.get(`${ID}/count`)).toBe('7');
    expect(mapper.reportErrors).toEqual([]);
    expect(mapper.panics).toEqual([]);
  }, 30_000);

  it('a device deleted on the edge is removed from the mapper (RemoveDevice)', async () => {
    const edge = await edgeWithCounter();
    const mapper = mapperFor(edge);
    mapper.values.set(`${ID}/count`, '1');
    await mapper.start();
    await vi.waitFor(async () => expect((await view(edge))?.properties['count']?.reported?.value).toBe('1'), {
      timeout: 10_000,
      interval: 100,
    });
    await edge.node.bus.request('meta.delete', { kind: 'Device', namespace: 'default', name: 'counter' });
    await vi.waitFor(() => expect(mapper.calls).toContain('RemoveDevice'), { timeout: 10_000, interval: 50 });
    expect(mapper.device(ID)).toBeUndefined();
  }, 30_000);

  it('a registration without a protocol is refused with the reason; a mapper that goes away makes its devices offline with the reason', async () => {
    const edge = await edgeWithCounter();
    await expect(mapperFor(edge, '').start()).rejects.toThrow(/protocol/);

    const mapper = mapperFor(edge);
    mapper.values.set(`${ID}/count`, '3');
    await mapper.start();
    await vi.waitFor(async () => expect((await view(edge))?.state).toBe('online'), { timeout: 10_000, interval: 100 });
    const states: Array<{ state: string; reason?: string }> = [];
    edge.node.bus.subscribe('device.state', { name: 'test', group: 'test' }, (e) => {
      if (e.deviceId === ID) states.push(e.message);
    });
    await mapper.stop();
    await vi.waitFor(() => expect(states.some((s) => s.state === 'offline')).toBe(true), {
      timeout: 15_000,
      interval: 100,
    });
    expect(states.find((s) => s.state === 'offline')?.reason).toMatch(/DMI mapper virtual-mapper .*unreachable/);
  }, 30_000);

  it('registrations survive an edge restart: the edge announces the devices to the mapper again', async () => {
    const first = await startEdge();
    const dataDir = first.dataDir;
    await first.node.bus.request('meta.apply', { documents: [model, counter] });
    const mapper = mapperFor(first);
    mapper.values.set(`${ID}/count`, '5');
    await mapper.start();
    await vi.waitFor(async () => expect((await view(first))?.properties['count']?.reported?.value).toBe('5'), {
      timeout: 10_000,
      interval: 100,
    });
    await first.node.stop();

    const calls = mapper.calls.length;
    const again = await edgeWithCounter(dataDir);
    cleanup.push(() => import('node:fs/promises').then((fs) => fs.rm(dataDir, { recursive: true, force: true })));
    // Without a new MapperRegister: the edge calls the mapper from what it stored.
    await vi.waitFor(() => expect(mapper.calls.slice(calls)).toContain('RegisterDevice'), {
      timeout: 10_000,
      interval: 100,
    });
    mapper.values.set(`${ID}/count`, '6');
    await vi.waitFor(async () => expect((await view(again))?.properties['count']?.reported?.value).toBe('6'), {
      timeout: 15_000,
      interval: 100,
    });
  }, 40_000);
});
