import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log/index.js';
import { EmbeddedBrokerLink } from './embedded-link.js';

const topic = (n: number) => `$ke/events/device/default/dev-${n}/data/update`;

describe('EmbeddedBrokerLink acknowledgements', () => {
  let link: EmbeddedBrokerLink | undefined;
  let client: mqtt.MqttClient | undefined;
  afterEach(async () => {
    await client?.endAsync(true);
    await link?.stop();
    link = client = undefined;
  });

  it('goes on reading a client while its PUBACKs wait for the commit, and acknowledges after it', async () => {
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    const ingested: string[] = [];
    link = new EmbeddedBrokerLink({ port: 0, logger: silentLogger() });
    await link.start((t) => {
      ingested.push(t);
      return committed;
    });
    client = await mqtt.connectAsync(link.url, { reconnectPeriod: 0 });
    const acked: number[] = [];
    const send = (n: number) => client!.publishAsync(topic(n), '{}', { qos: 1 }).then(() => acked.push(n));
    // Two in one read, then a third once both wait: aedes used to read nothing more from a client
    // while more than one of its publishes was unanswered, so the third waited for the commit.
    const sends = [send(1), send(2)];
    await expect.poll(() => ingested.length, { timeout: 2000 }).toBe(2);
    sends.push(send(3));
    await expect.poll(() => ingested.length, { timeout: 2000 }).toBe(3);
    // All three were handled by the edge, and none is acknowledged before the commit.
    await new Promise((r) => setTimeout(r, 50));
    expect(acked).toEqual([]);
    commit();
    await Promise.all(sends);
    expect(acked).toEqual([1, 2, 3]);
  });

  it('closes the connection, without acknowledging, when the commit fails', async () => {
    link = new EmbeddedBrokerLink({ port: 0, logger: silentLogger() });
    await link.start(() => Promise.reject(new Error('disk I/O error')));
    client = await mqtt.connectAsync(link.url, { reconnectPeriod: 0 });
    let acked = false;
    const closed = new Promise((r) => client!.once('close', () => r(undefined)));
    client.publish(topic(1), '{}', { qos: 1 }, (err) => (acked = !err));
    await closed;
    expect(acked).toBe(false);
  });
});
