import { statSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mapperLogin, startNode, type NodeHarness } from '../testing/index.js';
import { mapperPasswordFile } from './index.js';

const ingress = '$ke/events/device/default/pump-1/data/update';

describe('edge broker defaults: clients without credentials read, the mappers account publishes', () => {
  let h: NodeHarness | undefined;
  const clients: mqtt.MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await h?.close();
    h = undefined;
  });
  const connect = async (opts: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(h!.node.eventbus.url, { reconnectPeriod: 0, ...opts });
    clients.push(c);
    return c;
  };

  it('refuses a publish without credentials by default, takes it from kedge-mapper, and keeps its password', async () => {
    h = await startNode();
    const anon = await connect();
    expect((await anon.subscribeAsync('$hw/#'))[0]!.qos).toBe(0);
    const closed = new Promise<boolean>((resolve) => anon.once('close', () => resolve(true)));
    anon.publish(ingress, '{}', { qos: 1 });
    expect(await closed).toBe(true);

    const login = mapperLogin(h.dataDir);
    const mapper = await connect(login);
    await mapper.publishAsync(ingress, JSON.stringify({ readings: [] }), { qos: 1 });
    expect(mapper.connected).toBe(true);
    expect(statSync(mapperPasswordFile(h.dataDir)).mode & 0o777).toBe(0o600);

    // Kept across a restart: a mapper container or Pod adopted by the next edge process keeps working.
    await mapper.endAsync(true);
    h = await h.restart();
    expect(mapperLogin(h.dataDir)).toEqual(login);
    expect((await connect(login)).connected).toBe(true);
    const text = await h.node.registry.metrics();
    expect(text).not.toMatch(/kedge_eventbus_refused_total\{kind="connect"\} [1-9]/);
  });
});
