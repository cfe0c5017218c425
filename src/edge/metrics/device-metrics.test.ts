import { afterEach, describe, expect, it } from 'vitest';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';

const props = [
  { name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'sp', type: 'INT', accessMode: 'ReadWrite' },
];
const T0 = 1_700_000_000_000;

/** The value of one sample of the node's /metrics page, or undefined when there is none. */
async function sample(h: NodeHarness, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await h.node.registry.metrics();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && want.every((w) => l.slice(0, l.indexOf('}')).includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('per-device series', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('state, last good read, reads and read errors by cause, removed with the device', async () => {
    h = await startNode({ desiredTimeoutMs: 5000 });
    await h.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp' }]), device('d2', [{ name: 'temp' }])],
    });
    expect(await sample(h, 'kedge_device_state', { device: 'default/d1', state: 'unknown' })).toBe(1);
    h.node.bus.publish('device.state', {
      deviceId: 'default/d1',
      message: { event_id: 'e', timestamp: T0, state: 'online' },
    });
    h.node.bus.publish('device.readings', {
      deviceId: 'default/d1',
      source: 'mapper',
      readings: [
        { property: 'temp', value: 20, quality: 'good', ts: T0 + 500 },
        {
          property: 'sp',
          value: null,
          quality: 'bad',
          ts: T0 + 600,
          reason: 'timed out',
          code: 'KEDGE_MODBUS_TIMEOUT',
        },
      ],
    });
    h.node.bus.publish('device.readings', {
      deviceId: 'default/d1',
      source: 'mapper',
      readings: [
        {
          property: 'sp',
          value: null,
          quality: 'bad',
          ts: T0 + 700,
          reason: 'timed out',
          code: 'KEDGE_MODBUS_TIMEOUT',
        },
        { property: 'temp', value: null, quality: 'bad', ts: T0 + 700, reason: 'free text only' },
        { property: 'temp', value: null, quality: 'bad', ts: T0 + 700, code: 'not a code: 12 ms' },
      ],
    });
    const d1 = { device: 'default/d1' };
    expect(await sample(h, 'kedge_device_state', { ...d1, state: 'online' })).toBe(1);
    expect(await sample(h, 'kedge_device_state', { ...d1, state: 'unknown' })).toBe(0);
    expect(await sample(h, 'kedge_device_last_good_read_timestamp_seconds', d1)).toBe((T0 + 500) / 1000);
    expect(await sample(h, 'kedge_device_reads_total', d1)).toBe(5);
    expect(await sample(h, 'kedge_device_read_errors_total', { ...d1, cause: 'KEDGE_MODBUS_TIMEOUT' })).toBe(2);
    expect(await sample(h, 'kedge_device_read_errors_total', { ...d1, cause: 'unspecified' })).toBe(1);
    expect(await sample(h, 'kedge_device_read_errors_total', { ...d1, cause: 'other' })).toBe(1);
    // Scraping again does not count again.
    expect(await sample(h, 'kedge_device_reads_total', d1)).toBe(5);
    expect(await sample(h, 'kedge_device_reads_total', { device: 'default/d2' })).toBe(0);

    await h.node.bus.request('meta.delete', { kind: 'Device', namespace: 'default', name: 'd1' });
    expect(await sample(h, 'kedge_device_reads_total', d1)).toBeUndefined();
    expect(await sample(h, 'kedge_device_read_errors_total', d1)).toBeUndefined();
    expect(await sample(h, 'kedge_device_state', d1)).toBeUndefined();
  });

  it('write outcomes and the write round trip, from the twin', async () => {
    h = await startNode({ desiredTimeoutMs: 5000 });
    await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', [{ name: 'sp' }])] });
    const id = 'default/d1';
    await h.node.bus.request('twin.setDesired', { deviceId: id, properties: { sp: '12' } });
    h.clock.advance(250);
    h.node.bus.publish('device.writeResult', {
      deviceId: id,
      result: {
        event_id: 'w',
        timestamp: 1,
        property: 'sp',
        desired: '12',
        ok: true,
        readBack: { property: 'sp', value: 12, quality: 'good', ts: T0 },
      },
    });
    await h.node.bus.request('twin.setDesired', { deviceId: id, properties: { sp: '13' } });
    await h.settle(6000); // nobody confirms 13: timeout
    expect(await sample(h, 'kedge_device_writes_total', { device: id, outcome: 'confirmed' })).toBe(1);
    expect(await sample(h, 'kedge_device_writes_total', { device: id, outcome: 'timeout' })).toBe(1);
    expect(await sample(h, 'kedge_device_write_duration_seconds_bucket', { outcome: 'confirmed', le: '0.1' })).toBe(0);
    expect(await sample(h, 'kedge_device_write_duration_seconds_bucket', { outcome: 'confirmed', le: '0.25' })).toBe(1);
    expect(await sample(h, 'kedge_device_write_duration_seconds_sum', { outcome: 'confirmed' })).toBe(0.25);
    expect(await sample(h, 'kedge_device_write_duration_seconds_count', { outcome: 'timeout' })).toBe(1);
  });
});
