import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type CloudBroker } from './broker.js';
import { SubscriberSockets } from './held-delivery.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('SubscriberSockets', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function pair(subscribers: SubscriberSockets) {
    let accepted!: Socket;
    server = createServer((s) => {
      accepted = s;
      subscribers.add(s);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
    let received = '';
    client.on('data', (d) => (received += d.toString()));
    await new Promise((r) => client.once('connect', r));
    while (!accepted) await turn();
    return { accepted, client, received: () => received };
  }

  it('writes nothing before the commit, then everything the deliveries wrote, in order', async () => {
    const subs = new SubscriberSockets();
    const p = await pair(subs);
    let atCommit: { bytesWritten: number; received: string } | undefined;
    await subs.deliverAfter(
      async () => {
        // Like aedes: one write per message, each in an immediate of its own.
        for (const m of ['one;', 'two;', 'three;']) {
          await turn();
          p.accepted.write(m);
        }
        await new Promise((r) => setTimeout(r, 20));
      },
      () => (atCommit = { bytesWritten: p.accepted.bytesWritten, received: p.received() }),
    );
    expect(atCommit).toEqual({ bytesWritten: 0, received: '' });
    while (p.received().length < 'one;two;three;'.length) await turn();
    expect(p.received()).toBe('one;two;three;');
    p.accepted.write('after;'); // the socket writes normally again
    while (!p.received().endsWith('after;')) await turn();
    p.client.destroy();
  });

  it('runs one delivery at a time and releases the writes when the handling fails', async () => {
    const subs = new SubscriberSockets();
    const p = await pair(subs);
    const order: string[] = [];
    const first = subs.deliverAfter(
      async () => {
        order.push('first handles');
        await new Promise((r) => setTimeout(r, 20));
        p.accepted.write('1;');
        throw new Error('broker refused');
      },
      () => order.push('first commits'),
    );
    const second = subs.deliverAfter(
      async () => {
        order.push('second handles');
        p.accepted.write('2;');
      },
      () => order.push('second commits'),
    );
    await expect(first).rejects.toThrow('broker refused');
    await second;
    expect(order).toEqual(['first handles', 'second handles', 'second commits']);
    while (p.received().length < 4) await turn();
    expect(p.received()).toBe('1;2;');
    p.client.destroy();
  });
});

describe('the embedded broker publishing many', () => {
  let broker: CloudBroker | undefined;
  afterEach(async () => broker?.close());

  it('delivers every message in order to a subscriber, after beforeDelivery ran once', async () => {
    broker = await startEmbeddedBroker('127.0.0.1', 0);
    const sub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    const got: string[] = [];
    sub.on('message', (_t, payload) => got.push(payload.toString()));
    await sub.subscribeAsync('kedge/telemetry/#', { qos: 1 });
    let calls = 0;
    let seenAtCall = -1;
    const messages = Array.from({ length: 50 }, (_, i) => ({
      topic: `kedge/telemetry/default/d${i % 7}`,
      payload: Buffer.from(`m${i}`),
      qos: 1 as const,
      retain: false,
    }));
    await broker.publishMany(messages, async () => {
      calls++;
      seenAtCall = got.length;
    });
    while (got.length < 50) await turn();
    expect(calls).toBe(1);
    expect(seenAtCall).toBe(0);
    expect(got).toEqual(messages.map((m) => m.payload.toString()));
    await sub.endAsync(true);
  });
});
