import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startAedes, startMosquitto, type TestBroker } from '../../../hil-tests/support/brokers.js';
import { LiteMqttClient, type LiteClientOptions } from './client.js';
import { encodePuback, encodePublish, PacketType } from './packets.js';
import { PacketReader } from './reader.js';

const brokers: Record<string, (port?: number) => Promise<TestBroker>> = {
  aedes: startAedes,
  mosquitto: startMosquitto,
};

const open: { end(): Promise<void> }[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.end();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function client(port: number, extra: Partial<LiteClientOptions> = {}): LiteMqttClient {
  const c = new LiteMqttClient({
    host: '127.0.0.1',
    port,
    clientId: `lite-${Math.random().toString(16).slice(2)}`,
    clean: true,
    reconnectPeriodMs: 100,
    connectTimeoutMs: 2000,
    ...extra,
  });
  c.on('error', () => undefined); // the tests look at behaviour, not at the error stream
  open.push(c);
  return c.start();
}

const once = (c: LiteMqttClient, event: 'connect' | 'offline') =>
  new Promise<void>((resolve) => c.once(event, () => resolve()));
const publish = (c: LiteMqttClient, topic: string, payload: string, retain = false) =>
  new Promise<void>((resolve, reject) =>
    c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())),
  );
const subscribe = (c: LiteMqttClient, topics: string[]) =>
  new Promise<void>((resolve, reject) => c.subscribe(topics, 1, (err) => (err ? reject(err) : resolve())));

/** An mqtt.js subscriber: the reference client watching what the small client did. */
async function watcher(
  url: string,
  topic: string,
): Promise<{ messages: { topic: string; payload: string; retain: boolean }[]; end(): Promise<void> }> {
  const w = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  w.on('message', (t, p, packet) => messages.push({ topic: t, payload: p.toString(), retain: packet.retain }));
  await w.subscribeAsync(topic, { qos: 1 });
  const handle = { messages, end: () => w.endAsync(true) };
  open.push(handle);
  return handle;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const [name, start] of Object.entries(brokers)) {
  describe(`LiteMqttClient against ${name}`, () => {
    let broker: TestBroker;
    afterEach(async () => broker?.close());

    it('publishes QoS 1 (acknowledged), receives retained and live messages, acknowledges them', async () => {
      broker = await start();
      const w = await watcher(broker.url, 'lite/#');
      const c = client(broker.port);
      await once(c, 'connect');
      await publish(c, 'lite/retained', 'kept', true);
      const got: string[] = [];
      const second = client(broker.port);
      second.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
      await once(second, 'connect');
      await subscribe(second, ['lite/#']);
      await publish(c, 'lite/live', 'x'.repeat(70_000)); // a multi-chunk payload
      await until(() => got.length === 2, 'retained + live message');
      expect(got[0]).toBe('lite/retained=kept');
      expect(got[1]).toBe(`lite/live=${'x'.repeat(70_000)}`);
      await until(() => w.messages.length === 2, 'the watcher');
      expect(w.messages[0]).toMatchObject({ topic: 'lite/retained', payload: 'kept' });
    });

    it('the broker publishes the will when the connection drops, not after end()', async () => {
      broker = await start();
      const w = await watcher(broker.url, 'will/#');
      const will = (topic: string) => ({
        will: { topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false },
      });
      const dropped = client(broker.port, will('will/dropped'));
      const ended = client(broker.port, will('will/ended'));
      await Promise.all([once(dropped, 'connect'), once(ended, 'connect')]);
      await ended.end();
      (dropped as unknown as { socket: Socket }).socket.destroy(); // as if the mapper died
      await until(() => w.messages.length >= 1, 'the will');
      await new Promise((r) => setTimeout(r, 300));
      expect(w.messages.map((m) => m.topic)).toEqual(['will/dropped']);
    });

    it('reconnects after the broker restarts: offline, then connect; publishing while down fails at once', async () => {
      broker = await start();
      const port = broker.port;
      const c = client(port);
      await once(c, 'connect');
      const offline = once(c, 'offline');
      await broker.close();
      await offline;
      expect(c.connected).toBe(false);
      await expect(publish(c, 'down', 'x')).rejects.toThrow(/not connected/);
      // Listen before the restart: the client (retrying every 100 ms) may connect before start() returns.
      const reconnected = once(c, 'connect');
      broker = await start(port);
      await reconnected;
      await publish(c, 'up', 'x');
    });
  });
}

/** A raw TCP "broker" the test scripts packet by packet. */
async function scripted(
  onPacket: (socket: Socket, type: number, body: Buffer, flags: number) => void,
): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    const reader = new PacketReader(1 << 20);
    socket.on('data', (chunk) => reader.push(chunk, (p) => onPacket(socket, p.type, Buffer.from(p.body), p.flags)));
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const CONNACK_OK = Buffer.from([PacketType.Connack << 4, 2, 0, 0]);

describe('LiteMqttClient against a scripted broker', () => {
  it('sends unacknowledged QoS 1 messages again with DUP after a reconnect', async () => {
    const seen: { conn: number; dup: boolean; id: number }[] = [];
    let conn = 0;
    const broker = await scripted((socket, type, body, flags) => {
      if (type === PacketType.Connect) {
        conn++;
        socket.write(CONNACK_OK);
      }
      if (type === PacketType.Publish) {
        const id = body.readUInt16BE(2 + body.readUInt16BE(0));
        seen.push({ conn, dup: (flags & 8) === 8, id });
        if (conn === 1)
          socket.destroy(); // the first connection dies before any PUBACK
        else socket.write(encodePuback(id));
      }
    });
    const c = client(broker.port);
    await once(c, 'connect');
    const acked = publish(c, 't', 'payload');
    await once(c, 'connect');
    await acked;
    expect(seen).toEqual([
      { conn: 1, dup: false, id: 1 },
      { conn: 2, dup: true, id: 1 },
    ]);
  });

  it('names a refused connection and tries again', async () => {
    const broker = await scripted((socket, type) => {
      if (type === PacketType.Connect) socket.write(Buffer.from([PacketType.Connack << 4, 2, 0, 5]));
    });
    const errors: string[] = [];
    const c = client(broker.port);
    c.on('error', (err) => errors.push(err.message));
    await until(() => broker.connections() >= 2, 'a second attempt');
    expect(errors).toContain('MQTT broker refused the connection: not authorized');
    expect(c.connected).toBe(false);
  });

  it('drops the connection on a malformed stream and on a missing PINGRESP, and reconnects', async () => {
    let mode: 'garbage' | 'silent' = 'garbage';
    const broker = await scripted((socket, type) => {
      if (type !== PacketType.Connect) return; // PINGREQ goes unanswered
      socket.write(CONNACK_OK);
      if (mode === 'garbage') socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    });
    const errors: string[] = [];
    const c = client(broker.port, { keepaliveSeconds: 1 });
    c.on('error', (err) => errors.push(err.message));
    await until(() => errors.some((e) => /longer than four bytes/.test(e)), 'the malformed-length error');
    mode = 'silent';
    await until(() => errors.some((e) => /no PINGRESP/.test(e)), 'the keepalive timeout', 6000);
    expect(broker.connections()).toBeGreaterThanOrEqual(2);
  });

  it('refuses a QoS 1 publish past the in-flight byte limit, at once and without queueing', async () => {
    const broker = await scripted((socket, type) => {
      if (type === PacketType.Connect) socket.write(CONNACK_OK); // and never a PUBACK
    });
    const c = client(broker.port, { maxInFlightBytes: 1000 });
    await once(c, 'connect');
    const results: Array<string | undefined> = [];
    const accepted = [1, 2, 3].map(() =>
      c.publish('t', Buffer.alloc(400), { qos: 1 }, (err) => results.push(err?.message)),
    );
    expect(accepted).toEqual([true, true, false]);
    expect(results).toEqual([
      expect.stringMatching(/2 messages \(\d+ bytes\) already wait for a PUBACK.*limit is 1000 bytes/),
    ]);
  });

  it('keeps the connection when a message listener throws, and reports it', async () => {
    const broker = await scripted((socket, type) => {
      if (type !== PacketType.Connect) return;
      socket.write(CONNACK_OK);
      socket.write(Buffer.concat([encodeQos0('a', 'x'), encodeQos0('b', 'y')]));
    });
    const errors: string[] = [];
    const got: string[] = [];
    const c = client(broker.port);
    c.on('error', (err) => errors.push(err.message));
    c.on('message', (topic) => {
      got.push(topic);
      if (topic === 'a') throw new Error('handler bug');
    });
    await until(() => got.length === 2, 'both messages');
    expect(errors).toEqual(['message handler for a threw: handler bug']);
    expect(c.connected).toBe(true);
    expect(broker.connections()).toBe(1);
  });

  it('pings an idle connection within the keepalive period and keeps it while the broker answers', async () => {
    const pings: number[] = [];
    const started = Date.now();
    const broker = await scripted((socket, type) => {
      if (type === PacketType.Connect) socket.write(CONNACK_OK);
      if (type === PacketType.Pingreq) {
        pings.push(Date.now() - started);
        socket.write(Buffer.from([PacketType.Pingresp << 4, 0]));
      }
    });
    const c = client(broker.port, { keepaliveSeconds: 1 });
    await once(c, 'connect');
    await new Promise((r) => setTimeout(r, 2600));
    expect(pings.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < pings.length; i++) expect(pings[i]! - pings[i - 1]!).toBeLessThanOrEqual(1200);
    expect(c.connected).toBe(true);
    expect(broker.connections()).toBe(1);
  });
});

function encodeQos0(topic: string, payload: string): Buffer {
  return encodePublish(topic, Buffer.from(payload), 0, false, 0);
}
