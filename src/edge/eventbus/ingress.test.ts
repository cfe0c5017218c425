import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { EdgeChannels, EdgeRequests } from '../../contracts/index.js';
import { edgeTopics } from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { Ingress } from './ingress.js';
import { isIngressTopic, topicMatches } from './topics.js';

function setUp() {
  const bus = new Bus<EdgeChannels, EdgeRequests>({ logger: silentLogger() });
  const events: Array<[string, unknown]> = [];
  for (const ch of [
    'device.readings',
    'twin.update',
    'twin.get',
    'device.state',
    'device.writeResult',
    'membership.get',
    'mapper.status',
    'mqtt.publish',
  ] as const) {
    bus.subscribe(ch, { name: 't', group: 't' }, (e) => void events.push([ch, e]));
  }
  let durableCalls = 0;
  const registry = new Registry();
  const ingress = new Ingress({
    bus,
    node: 'n1',
    clock: new ManualClock(5),
    logger: silentLogger(),
    registry,
    durable: () => {
      durableCalls++;
      return Promise.resolve();
    },
  });
  ingress.setDevices([
    {
      instance: {
        id: 'default/d1',
        namespace: 'default',
        name: 'd1',
        model: 'm',
        protocol: 'modbus',
        protocolConfig: {},
        properties: [
          {
            name: 'p',
            type: 'FLOAT',
            accessMode: 'ReadOnly',
            visitor: {},
            collectCycleMs: 1000,
            reportCycleMs: 1000,
            reportToCloud: false,
          },
          {
            name: 'on',
            type: 'BOOLEAN',
            accessMode: 'ReadWrite',
            visitor: {},
            collectCycleMs: 1000,
            reportCycleMs: 1000,
            reportToCloud: false,
          },
        ],
      },
      annotations: {},
    },
  ]);
  return { ingress, events, registry, durable: () => durableCalls };
}

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('EventBus ingress', () => {
  it('turns each KubeEdge/kedge topic into one typed bus event; writes wait for durability', async () => {
    const { ingress, events, durable } = setUp();
    await ingress.handle(
      edgeTopics.dataRaw('default/d1'),
      buf({ event_id: 'a', timestamp: 1, readings: [{ property: 'p', value: 1, quality: 'good', ts: 1 }] }),
    );
    expect(ingress.handle(edgeTopics.twinGet('default/d1'), buf({ event_id: 'g' }))).toBeUndefined();
    await ingress.handle(edgeTopics.stateUpdate('default/d1'), buf({ event_id: 's', timestamp: 1, state: 'online' }));
    await ingress.handle(
      edgeTopics.writeResult('default/d1'),
      buf({ event_id: 'w', timestamp: 1, property: 'p', desired: '1', ok: true }),
    );
    ingress.handle(edgeTopics.membershipGet('n1'), buf({ event_id: 'm' }));
    ingress.handle(edgeTopics.mapperStatus('mb'), buf({ name: 'mb', protocols: ['modbus'], state: 'online', ts: 1 }));
    expect(events.map(([ch]) => ch)).toEqual([
      'device.readings',
      'twin.get',
      'device.state',
      'device.writeResult',
      'membership.get',
      'mapper.status',
    ]);
    expect(durable()).toBe(3);
  });

  it("takes KubeEdge's forms: no event_id/timestamp, metadata {} and string times in twin values, states in any case and ok", async () => {
    const { ingress, events } = setUp();
    // edge/test/integration/device/device_test.go: no event_id, no timestamp, attributes null.
    await ingress.handle(edgeTopics.stateUpdate('default/d1'), buf({ state: 'online', attributes: null }));
    // mappers-go mappers/common/const.go DeviceStatusOK, mapper-framework pkg/common/const.go.
    await ingress.handle(edgeTopics.stateUpdate('default/d1'), buf({ event_id: '', timestamp: 9, state: 'OK' }));
    await ingress.handle(edgeTopics.stateUpdate('default/d1'), buf({ event_id: '', timestamp: 9, state: 'Offline' }));
    // mappers-go mappers/common/event.go CreateMessageTwinUpdate: metadata is always there, {} without a time.
    await ingress.handle(
      edgeTopics.twinUpdate('default/d1'),
      buf({
        event_id: '',
        timestamp: 7,
        twin: { p: { actual: { value: '26.5', metadata: {} }, metadata: { type: 'float' } } },
      }),
    );
    // mapper-framework pkg/common/event.go: expected too, the time as a string.
    await ingress.handle(
      edgeTopics.twinUpdate('default/d1'),
      buf({
        event_id: '',
        timestamp: 7,
        twin: {
          on: {
            actual: { value: 'true', metadata: { timestamp: '1700000000000' } },
            expected: { value: 'true', metadata: { timestamp: '1700000000000' } },
            metadata: {},
          },
        },
      }),
    );
    const states = events
      .filter(([ch]) => ch === 'device.state')
      .map(([, e]) => (e as EdgeChannels['device.state']).message);
    expect(states).toEqual([
      { event_id: '', timestamp: 5, state: 'online', attributes: null },
      { event_id: '', timestamp: 9, state: 'online' },
      { event_id: '', timestamp: 9, state: 'offline' },
    ]);
    const twins = events
      .filter(([ch]) => ch === 'twin.update')
      .map(([, e]) => (e as EdgeChannels['twin.update']).message);
    expect(twins).toEqual([
      { event_id: '', timestamp: 7, twin: { p: { actual: { value: '26.5' }, metadata: { type: 'float' } } } },
      {
        event_id: '',
        timestamp: 7,
        twin: {
          on: {
            actual: { value: 'true', metadata: { timestamp: 1700000000000 } },
            expected: { value: 'true', metadata: { timestamp: 1700000000000 } },
          },
        },
      },
    ]);
    expect(events.filter(([ch]) => ch === 'mqtt.publish')).toEqual([]);
  });

  it('counts bad input per topic filter and cause, answers request topics with an error result, never throws', async () => {
    const { ingress, events, registry } = setUp();
    expect(ingress.handle(edgeTopics.dataUpdate('default/d1'), buf('{oops'))).toBeUndefined();
    expect(
      ingress.handle(
        edgeTopics.dataUpdate('default/d1'),
        buf({ event_id: 'a', timestamp: 1, readings: [{ property: 'p', value: {}, quality: 'good', ts: 1 }] }),
      ),
    ).toBeUndefined();
    expect(
      ingress.handle(edgeTopics.dataUpdate('default/ghost'), buf({ event_id: 'a', timestamp: 1, readings: [] })),
    ).toBeUndefined();
    ingress.handle(
      edgeTopics.twinUpdate('default/d1'),
      buf({ event_id: 'x1', timestamp: 1, twin: { p: { actual: { value: 5 } } } }),
    );
    ingress.handle(edgeTopics.membershipGet('other-node'), buf({}));
    ingress.handle(edgeTopics.mapperStatus('mb'), Buffer.alloc(0));
    expect(events.filter(([ch]) => ch !== 'mqtt.publish')).toEqual([]);
    const errorResult = events.find(([ch]) => ch === 'mqtt.publish')![1] as EdgeChannels['mqtt.publish'];
    expect(errorResult.topic).toBe(edgeTopics.twinUpdateResult('default/d1'));
    expect(errorResult.payload).toMatchObject({
      event_id: 'x1',
      code: 400,
      reason: expect.stringContaining('twin/update: field /twin/p/actual'),
    });
    const text = await registry.metrics();
    expect(text).toContain('kedge_eventbus_rejected_total{where="dataUpdate",cause="malformed-json"} 1');
    expect(text).toContain('kedge_eventbus_rejected_total{where="dataUpdate",cause="schema"} 1');
    expect(text).toContain('kedge_eventbus_rejected_total{where="dataUpdate",cause="unknown-device"} 1');
    expect(text).toContain('kedge_eventbus_rejected_total{where="twinUpdate",cause="schema"} 1');
  });

  it("reads KubeEdge's DeviceData on data/update: values parsed by type, a bad one kept as a bad reading, unknown properties counted", async () => {
    const { ingress, events, registry } = setUp();
    // mappers-go mappers/common/event.go CreateMessageData: event_id "", metadata.timestamp a number.
    await ingress.handle(
      edgeTopics.dataUpdate('default/d1'),
      buf({
        event_id: '',
        timestamp: 1700000000000,
        data: {
          p: { value: '26.5', metadata: { timestamp: 1700000000001, type: 'float' } },
          on: { value: 'maybe', metadata: { timestamp: '1700000000002', type: 'boolean' } },
          nope: { value: '1', metadata: { type: 'int' } },
        },
      }),
    );
    // The website's example has no event_id/timestamp at all.
    await ingress.handle(edgeTopics.dataUpdate('default/d1'), buf({ data: { p: { value: '7' } } }));
    const readings = events.filter(([ch]) => ch === 'device.readings').map(([, e]) => e);
    expect(readings).toEqual([
      {
        deviceId: 'default/d1',
        source: 'data-update',
        readings: [
          { property: 'p', value: 26.5, quality: 'good', ts: 1700000000001 },
          {
            property: 'on',
            value: null,
            quality: 'bad',
            ts: 1700000000002,
            reason: expect.stringContaining('"maybe" is not a valid BOOLEAN value'),
          },
        ],
      },
      {
        deviceId: 'default/d1',
        source: 'data-update',
        readings: [{ property: 'p', value: 7, quality: 'good', ts: 5 }],
      },
    ]);
    expect(await registry.metrics()).toContain(
      'kedge_eventbus_rejected_total{where="dataUpdate",cause="unknown-property"} 1',
    );
  });

  it("ignores the edge's own republished DeviceData when a broker echoes it back", () => {
    const { ingress, events } = setUp();
    const own = { event_id: 'kedge-edge:7', timestamp: 1, data: { p: { value: '1' } } };
    expect(ingress.handle(edgeTopics.dataUpdate('default/d1'), buf(own))).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('recognises exactly the ingress topics', () => {
    expect(isIngressTopic('$hw/events/device/default/d1/twin/update')).toBe(true);
    expect(isIngressTopic('$hw/events/device/default/d1/twin/update/result')).toBe(false);
    expect(isIngressTopic('$ke/events/device/default/d1/data/cleansed')).toBe(false);
    expect(isIngressTopic('$ke/mapper-status/x')).toBe(true);
    expect(isIngressTopic('$ke/events/device/default/d1/data/raw')).toBe(true);
    expect(isIngressTopic('$ke/events/device/default/d1/data/update')).toBe(true);
  });

  it('matches MQTT filters like a broker (for skipping documents nobody subscribes to)', () => {
    expect(topicMatches('$hw/events/device/+/+/twin/#', '$hw/events/device/default/d1/twin/update/document')).toBe(
      true,
    );
    expect(topicMatches('$hw/events/device/+/+/twin/update', '$hw/events/device/default/d1/twin/update/document')).toBe(
      false,
    );
    expect(topicMatches('#', '$hw/events/device/default/d1/twin/update/document')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
  });
});
