import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log/index.js';
import { EmbeddedBrokerLink } from './embedded-link.js';

const LIMITS = { maxPacketBytes: 64 * 1024, maxRetained: 16, maxRetainedBytes: 1024 };

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
    link = new EmbeddedBrokerLink({ port: 0, logger: silentLogger(), limits: LIMITS });
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
    link = new EmbeddedBrokerLink({ port: 0, logger: silentLogger(), limits: LIMITS });
    await link.start(() => Promise.reject(new Error('disk I/O error')));
    client = await mqtt.connectAsync(link.url, { reconnectPeriod: 0 });
    let acked = false;
    const closed = new Promise((r) => client!.once('close', () => r(undefined)));
    client.publish(topic(1), '{}', { qos: 1 }, (err) => (acked = !err));
    await closed;
    expect(acked).toBe(false);
  });
});

describe('EmbeddedBrokerLink guards its clients', () => {
  let link: EmbeddedBrokerLink | undefined;
  const clients: mqtt.MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await link?.stop();
    link = undefined;
  });
  const start = async () => {
    link = new EmbeddedBrokerLink({ port: 0, logger: silentLogger(), limits: LIMITS });
    await link.start(() => undefined);
    return link;
  };
  const connect = async () => {
    const c = await mqtt.connectAsync(link!.url, { reconnectPeriod: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  /** What a new subscriber gets as retained on `filter` within 300 ms. */
  const retainedOn = async (filter: string) => {
    const c = await connect();
    const got: string[] = [];
    c.on('message', (t) => got.push(t));
    await c.subscribeAsync(filter, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    return got;
  };

  it("refuses a client's publish on the edge's device-set topic and disconnects it; the edge's own stays", async () => {
    await start();
    link!.publish('$ke/mappers/modbus/devices', '{"version":1}', { retain: true, qos: 1 });
    const forger = await connect();
    const closed = new Promise((r) => forger.once('close', () => r(undefined)));
    forger.publish('$ke/mappers/modbus/devices', '{"version":9999999999999}', { qos: 1, retain: true });
    await closed;
    expect(link!.refused?.controlTopic).toBe(1);
    const c = await connect();
    const payloads: string[] = [];
    c.on('message', (_t, p) => payloads.push(p.toString()));
    await c.subscribeAsync('$ke/mappers/#', { qos: 1 });
    await expect.poll(() => payloads, { timeout: 2000 }).toEqual(['{"version":1}']);
  });

  it('keeps no retained message over the size bound or beyond the count bound, and delivers them all the same', async () => {
    await start();
    const live = await connect();
    const delivered: string[] = [];
    live.on('message', (t) => delivered.push(t));
    await live.subscribeAsync('app/#', { qos: 1 });
    const pub = await connect();
    await pub.publishAsync('app/big', Buffer.alloc(2048, 1), { qos: 1, retain: true });
    for (let i = 0; i < 20; i++) await pub.publishAsync(`app/t${i}`, 'x', { qos: 1, retain: true });
    await expect.poll(() => delivered.length, { timeout: 2000 }).toBe(21);
    const kept = await retainedOn('app/#');
    expect(kept).not.toContain('app/big');
    expect(kept).toHaveLength(LIMITS.maxRetained);
    expect(link!.refused).toMatchObject({ retainedSize: 1, retainedCount: 20 - LIMITS.maxRetained });
  });

  it('closes the connection of a client that announces a packet over maxPacketBytes, before buffering it', async () => {
    await start();
    const c = await connect();
    const closed = new Promise((r) => c.once('close', () => r(undefined)));
    c.publish('app/huge', Buffer.alloc(LIMITS.maxPacketBytes + 1000, 7), { qos: 0 });
    await closed;
    expect(link!.refused?.packetSize).toBe(1);
  });
});

describe('PacketLimit', () => {
  it('follows the MQTT framing across chunks and stops at the first packet over the limit', async () => {
    const { PacketLimit } = await import('./broker-guard.js');
    const limit = new PacketLimit(200);
    // PINGREQ (no body), a 130-byte packet (length 0x82 0x01), then one of 300 (0xac 0x02).
    const stream = Buffer.concat([
      Buffer.from([0xc0, 0x00]),
      Buffer.from([0x30, 0x82, 0x01]),
      Buffer.alloc(130, 1),
      Buffer.from([0x30, 0xac, 0x02]),
    ]);
    expect(limit.push(stream.subarray(0, 3))).toBe(true);
    expect(limit.push(stream.subarray(3, 100))).toBe(true);
    expect(limit.push(stream.subarray(100, 136))).toBe(true);
    expect(limit.announced).toBe(130);
    expect(limit.push(stream.subarray(136))).toBe(false);
    expect(limit.announced).toBe(300);
  });
});
