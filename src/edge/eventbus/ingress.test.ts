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
  ingress.setDevices(['default/d1']);
  return { ingress, events, registry, durable: () => durableCalls };
}

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('EventBus ingress', () => {
  it('turns each KubeEdge/kedge topic into one typed bus event; writes wait for durability', async () => {
    const { ingress, events, durable } = setUp();
    await ingress.handle(
      edgeTopics.dataUpdate('default/d1'),
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

  it('recognises exactly the ingress topics', () => {
    expect(isIngressTopic('$hw/events/device/default/d1/twin/update')).toBe(true);
    expect(isIngressTopic('$hw/events/device/default/d1/twin/update/result')).toBe(false);
    expect(isIngressTopic('$ke/events/device/default/d1/data/cleansed')).toBe(false);
    expect(isIngressTopic('$ke/mapper-status/x')).toBe(true);
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
