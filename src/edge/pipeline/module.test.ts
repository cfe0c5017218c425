import { afterEach, describe, expect, it } from 'vitest';
import { columnReadings, type TelemetryColumnsContent } from '../../contracts/index.js';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';

const ID = 'default/d1';
const props = [
  {
    name: 'temp',
    type: 'FLOAT',
    accessMode: 'ReadOnly',
    unit: 'degC',
    cleansing: { range: { min: 0, max: 100, action: 'reject' }, smoothing: { method: 'movingAverage', window: 2 } },
  },
  { name: 'hum', type: 'FLOAT', accessMode: 'ReadOnly' },
];

describe('PipelineModule', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function setUp(): Promise<NodeHarness> {
    const node = await startNode();
    await node.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp', reportToCloud: true }, { name: 'hum' }])],
    });
    return node;
  }

  it('cleanses readings per the property rules, publishes them, and batches the telemetry of a commit into the outbox', async () => {
    h = await setUp();
    const send = (temp: number, ts: number) =>
      h!.node.bus.publish('device.readings', {
        deviceId: ID,
        readings: [
          { property: 'temp', value: temp, quality: 'good', ts },
          { property: 'hum', value: 40, quality: 'good', ts },
        ],
        source: 'mapper',
      });
    send(10, 1);
    send(20, 2);
    send(500, 3);
    const temps = h.cleansed
      .filter((c) => c.deviceId === ID)
      .flatMap((c) => c.readings.filter((r) => r.property === 'temp'));
    expect(temps.map((r) => [r.value, r.quality])).toEqual([
      [10, 'good'],
      [15, 'good'],
      [null, 'bad'],
    ]);
    expect(h.node.store.outbox.stats().count).toBe(0);
    await h.settle();
    const entries = h.node.store.outbox.peek(100, 1 << 30).filter((e) => e.kind === 'reading');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.message.route).toMatchObject({
      operation: 'upload',
      resource: 'node/n1/default/telemetrycolumns/n1',
    });
    const content = entries[0]!.message.content as TelemetryColumnsContent;
    expect(content.devices.map((d) => d.device)).toEqual([ID]);
    // Column-wise: the property and its unit once, quality in runs, one ts per reading, the
    // reason of the reading that is not good.
    expect(content.devices[0]).toEqual({
      device: ID,
      properties: ['temp'],
      units: ['degC'],
      p: [0, 0, 0],
      v: [10, 15, null],
      q: [
        ['good', 2],
        ['bad', 1],
      ],
      t: [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      // The reason of the rejected reading travels with it (to the consumer and the twin).
      r: [[2, 'range: 500 above max 100']],
    });
    expect(columnReadings(content.devices[0]!)[0]).toEqual({
      property: 'temp',
      value: 10,
      unit: 'degC',
      quality: 'good',
      ts: 1,
    });
  });

  it('puts many devices of one commit into one batch, in the order they came, and starts a new batch after 5,000 readings', async () => {
    h = await setUp();
    const names = ['d2', 'd3', 'd4'];
    await h.node.bus.request('meta.apply', {
      documents: names.map((n) => device(n, [{ name: 'temp', reportToCloud: true }, { name: 'hum' }])),
    });
    const order = ['default/d3', ID, 'default/d4', 'default/d2'];
    for (const id of order) {
      const readings = Array.from({ length: 2000 }, (_, i) => ({
        property: 'temp',
        value: 50,
        quality: 'good' as const,
        ts: i + 1,
      }));
      h.node.bus.publish('device.readings', { deviceId: id, readings, source: 'mapper' });
    }
    await h.settle();
    const batches = h.node.store.outbox
      .peek(100, 1 << 30)
      .filter((e) => e.kind === 'reading')
      .map((e) => e.message.content as TelemetryColumnsContent);
    expect(batches.map((b) => b.devices.map((d) => d.device))).toEqual([order.slice(0, 3), order.slice(3)]);
    expect(batches.flatMap((b) => b.devices.map((d) => columnReadings(d).length))).toEqual([2000, 2000, 2000, 2000]);
    expect(
      columnReadings(batches[0]!.devices[0]!)
        .map((r) => r.ts)
        .slice(0, 3),
    ).toEqual([1, 2, 3]);
  });

  it('marks implausible readings bad with the reason: a time far from the clock, a value conversion takes to Infinity', async () => {
    const node = await startNode({ readings: { maxFutureMs: 300_000, maxAgeMs: 86_400_000 } });
    h = node;
    const scaled = [{ name: 'big', type: 'FLOAT', accessMode: 'ReadOnly', cleansing: { convert: { scale: 10 } } }];
    await node.node.bus.request('meta.apply', { documents: [model(scaled), device('d1', [{ name: 'big' }])] });
    const now = node.clock.now();
    node.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [
        { property: 'big', value: 1, quality: 'good', ts: 1e300 },
        { property: 'big', value: 1e308, quality: 'good', ts: now },
        { property: 'big', value: 2, quality: 'good', ts: now },
      ],
      source: 'mapper',
    });
    const out = node.cleansed.flatMap((e) => e.readings);
    expect(out.map((r) => [r.value, r.quality])).toEqual([
      [null, 'bad'],
      [null, 'bad'],
      [20, 'good'],
    ]);
    expect(out[0]!.reason).toMatch(/timestamp 1e\+300 is .* ahead of the edge's clock/);
    expect(out[0]!.ts).toBe(now);
    expect(out[1]!.reason).toMatch(/not finite/); // the cleansing pipeline's own check
    expect(await node.node.registry.metrics()).toMatch(
      /kedge_edge_pipeline_rejected_total\{where="default\/d1",cause="implausible"\} 1/,
    );
  });

  it('counts readings for unknown devices and properties without failing', async () => {
    h = await setUp();
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [{ property: 'nope', value: 1, quality: 'good', ts: 1 }],
      source: 'mapper',
    });
    h.node.bus.publish('device.readings', {
      deviceId: 'default/ghost',
      readings: [{ property: 'temp', value: 1, quality: 'good', ts: 1 }],
      source: 'mapper',
    });
    const text = await h.node.registry.metrics();
    expect(text).toMatch(/kedge_edge_pipeline_rejected_total\{where="default\/d1",cause="unknown-property"\} 1/);
    expect(text).toMatch(/kedge_edge_pipeline_rejected_total\{where="default\/ghost",cause="unknown-device"\} 1/);
    expect(h.node.bus.failedDeliveries).toBe(0);
  });

  it('saves pipeline state on stop and restores it at start (the moving average continues)', async () => {
    h = await setUp();
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [{ property: 'temp', value: 10, quality: 'good', ts: 1 }],
      source: 'mapper',
    });
    h = await h.restart();
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [{ property: 'temp', value: 30, quality: 'good', ts: 2 }],
      source: 'mapper',
    });
    const temp = h.cleansed[0]?.readings.find((r) => r.property === 'temp');
    expect(temp?.value).toBe(20);
  });
});
