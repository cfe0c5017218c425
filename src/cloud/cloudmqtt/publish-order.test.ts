import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type CloudBroker } from './broker.js';

describe('the embedded broker keeps the order of its publishes', () => {
  let broker: CloudBroker | undefined;
  afterEach(async () => broker?.close());

  it('delivers a retained message and the faster publishes called after it (aedes would drop the retained one)', async () => {
    broker = await startEmbeddedBroker('127.0.0.1', 0);
    const sub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    const got: string[] = [];
    sub.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    await sub.subscribeAsync('kedge/#', { qos: 1 });
    const expected: string[] = [];
    const calls: Promise<void>[] = [];
    const publish = (topic: string, body: string, qos: 0 | 1, retain: boolean) => {
      expected.push(`${topic} ${body}`);
      calls.push(broker!.publish(topic, Buffer.from(body), qos, retain));
    };
    for (let i = 0; i < 20; i++) {
      publish('kedge/twin/default/d', `twin ${i}`, 1, true);
      publish('kedge/telemetry/default/d', `reading ${i}`, 1, false);
      publish('kedge/status/device/default/d', `state ${i}`, 0, false);
      publish('kedge/status/cloud', `cloud ${i}`, 0, true);
    }
    // Telemetry published many at once, beside the single publishes.
    const batch = [0, 1, 2].map((i) => ({
      topic: 'kedge/telemetry/default/e',
      payload: Buffer.from(`batch ${i}`),
      qos: 1 as const,
      retain: false,
    }));
    calls.push(broker.publishMany(batch, async () => undefined));
    publish('kedge/twin/default/d', 'twin last', 1, true);
    await Promise.all(calls);
    const all = [...expected, ...batch.map((m) => `${m.topic} ${m.payload}`)];
    // A dropped message never comes: wait a bounded time, then compare (the diff names what is missing).
    for (let t = 0; got.length < all.length && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got.filter((m) => m.includes('/twin/'))).toEqual(expected.filter((m) => m.includes('/twin/')));
    expect([...got].sort()).toEqual([...all].sort());
    await sub.endAsync(true);
  });
});
