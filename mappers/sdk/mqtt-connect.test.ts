import { afterEach, describe, expect, it } from 'vitest';
import { startAedes, type TestBroker } from '../../hil-tests/support/brokers.js';
import { connectMqtt, plainTcp, type MapperMqtt } from './mqtt-connect.js';
import { LiteMqttClient } from './mqtt-lite/client.js';

describe('plainTcp', () => {
  it('takes host, port and credentials from a plain TCP URL', () => {
    expect(plainTcp('mqtt://127.0.0.1:1884', {})).toEqual({ host: '127.0.0.1', port: 1884 });
    expect(plainTcp('tcp://broker', {})).toEqual({ host: 'broker', port: 1883 });
    expect(plainTcp('mqtt://[::1]:1900', {})).toEqual({ host: '::1', port: 1900 });
    expect(plainTcp('mqtt://user%40x:p%3Ass@h:1', {})).toEqual({
      host: 'h',
      port: 1,
      username: 'user@x',
      password: 'p:ss',
    });
  });

  it('leaves TLS, WebSocket, query options and SOCKS proxies to mqtt.connect', () => {
    for (const url of ['mqtts://h:8883', 'ws://h/mqtt', 'wss://h/mqtt', 'mqtt://h:1883?clientId=x', 'not a url'])
      expect(plainTcp(url, {})).toBeUndefined();
    expect(plainTcp('mqtt://h:1883', { MQTTJS_SOCKS_PROXY: 'socks5://p:1080' })).toBeUndefined();
  });
});

describe('connectMqtt', () => {
  let broker: TestBroker | undefined;
  const clients: MapperMqtt[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    await broker?.close();
  });

  const options = {
    clientId: 'connect-test',
    reconnectPeriodMs: 100,
    connectTimeoutMs: 2000,
    will: { topic: 'w', payload: Buffer.from('gone'), qos: 1 as const, retain: false },
  };

  it('a plain mqtt:// URL gets the small client, which connects, subscribes and receives what it published', async () => {
    broker = await startAedes();
    const client = await connectMqtt(broker.url, options);
    clients.push(client);
    expect(client).toBeInstanceOf(LiteMqttClient);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await new Promise<void>((resolve, reject) =>
      client.subscribe(['t/1'], 1, (err) => (err ? reject(err) : resolve())),
    );
    const got = new Promise<string>((resolve) =>
      client.once('message', (_topic, payload) => resolve(payload.toString())),
    );
    await new Promise<void>((resolve, reject) =>
      client.publish('t/1', Buffer.from('hello'), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
    expect(await got).toBe('hello');
  });
});
