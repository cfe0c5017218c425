import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { plainTcp } from '../../../mappers/sdk/mqtt-connect.js';
import { silentLogger } from '../../core/log/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { BrokerAccess, covers, MAPPER_USER } from './broker-access.js';
import { EmbeddedBrokerLink } from './embedded-link.js';

const ingress = '$ke/events/device/default/pump-1/data/update';
const document = '$hw/events/device/default/pump-1/twin/update/document';

describe('edge broker access: accounts, topic ACLs, anonymous policy', () => {
  let link: EmbeddedBrokerLink | undefined;
  const clients: mqtt.MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await link?.stop();
    link = undefined;
  });

  const start = async (anonymous: 'all' | 'read' | 'none') => {
    const registry = createMetricsRegistry();
    const refusals: string[] = [];
    const access = new BrokerAccess(
      [
        { username: 'dashboard', password: 'dash-secret-0123456', publish: ['apps/#'], subscribe: [document] },
        { username: MAPPER_USER, password: 'mapper-secret-01234', publish: ['$ke/#', '$hw/#'], subscribe: ['$hw/#'] },
      ],
      anonymous,
      registry,
      (msg) => refusals.push(msg),
    );
    const ingested: string[] = [];
    link = new EmbeddedBrokerLink({
      port: 0,
      logger: silentLogger(),
      limits: { maxPacketBytes: 64 * 1024, maxRetained: 16, maxRetainedBytes: 1024 },
      access,
    });
    await link.start(async (t) => void ingested.push(t));
    return { registry, refusals, ingested };
  };
  const connect = async (opts: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(link!.url, { reconnectPeriod: 0, ...opts });
    clients.push(c);
    return c;
  };
  const closedAfter = (c: mqtt.MqttClient, topic: string) =>
    new Promise<boolean>((resolve) => {
      c.once('close', () => resolve(true));
      c.publish(topic, '{}', { qos: 1 }, () => undefined);
      setTimeout(() => resolve(false), 3000);
    });

  it('anonymous clients may read but not publish; accounts publish within their ACL only', async () => {
    const { registry, refusals, ingested } = await start('read');
    const anon = await connect();
    expect((await anon.subscribeAsync(document))[0]!.qos).toBe(0);
    expect(await closedAfter(anon, ingress)).toBe(true);
    expect(ingested).toEqual([]);

    const mapper = await connect({ username: MAPPER_USER, password: 'mapper-secret-01234' });
    await mapper.publishAsync(ingress, '{"readings":[]}', { qos: 1 });
    expect(ingested).toEqual([ingress]);

    const dash = await connect({ username: 'dashboard', password: 'dash-secret-0123456' });
    expect((await dash.subscribeAsync(document))[0]!.qos).toBe(0);
    await expect(dash.subscribeAsync('$ke/#')).rejects.toThrow(/Subscribe error/); // outside its ACL: SUBACK 0x80
    await dash.publishAsync('apps/line-3/note', 'hi', { qos: 1 });
    expect(await closedAfter(dash, ingress)).toBe(true);
    expect(ingested).toEqual([ingress]);

    await expect(connect({ username: 'dashboard', password: 'wrong-wrong-wrong-wrong' })).rejects.toThrow();
    const text = await registry.metrics();
    expect(text).toMatch(/kedge_eventbus_refused_total\{kind="publish"\} 2/);
    expect(text).toMatch(/kedge_eventbus_refused_total\{kind="subscribe"\} 1/);
    expect(text).toMatch(/kedge_eventbus_refused_total\{kind="connect"\} 1/);
    expect(refusals).toContain('edge broker refused a connect: wrong user name or password');
  });

  it('anonymous none refuses clients without credentials; all keeps the open broker', async () => {
    await start('none');
    await expect(connect()).rejects.toThrow();
    expect(await connect({ username: MAPPER_USER, password: 'mapper-secret-01234' })).toBeTruthy();
    await link!.stop();
    link = undefined;
    const open = new BrokerAccess([], 'all', undefined, () => undefined);
    expect(open.enforcing).toBe(false);
  });

  it('a subscription must stay inside the allowed filter', () => {
    expect(covers('$hw/#', '$hw/events/device/+/+/twin/update/document')).toBe(true);
    expect(covers('a/+/c', 'a/b/c')).toBe(true);
    expect(covers('a/+/c', 'a/+/c')).toBe(true);
    expect(covers('a/+', 'a/#')).toBe(false);
    expect(covers('a/b', 'a/+')).toBe(false);
    expect(covers('a/b', 'a/b/c')).toBe(false);
  });

  it("a mapper started by Edged finds its account's password in its environment, not its command line", () => {
    const url = `mqtt://${MAPPER_USER}@127.0.0.1:1884`;
    expect(plainTcp(url, { KEDGE_MQTT_PASSWORD: 'pw-from-env-0123' })).toMatchObject({
      username: MAPPER_USER,
      password: 'pw-from-env-0123',
    });
    expect(plainTcp('mqtt://127.0.0.1:1884', { KEDGE_MQTT_PASSWORD: 'x' })).not.toHaveProperty('password');
  });
});
