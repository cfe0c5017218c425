import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawEdge, type TestReading, waitUntil } from '../../src/cloud/testing/raw-edge.js';
import { startTestCloud } from '../../src/cloud/testing/cloud-under-test.js';
import { thermostat, thermostatModel } from '../../src/cloud/testing/fixtures.js';
import { startMosquitto, type TestBroker } from '../support/brokers.js';
import type { TelemetryPayload } from '../../src/contracts/index.js';

/** `kedge cloud --mqtt-url` against a real Mosquitto: what consumers see, published before the edge gets its ack. */
describe('cloud MQTT through an external Mosquitto', () => {
  let broker: TestBroker;
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let edge: RawEdge;

  beforeAll(async () => {
    broker = await startMosquitto();
    t = await startTestCloud({ mqtt: { port: 1883, host: '127.0.0.1', url: broker.url } });
    const res = await fetch(`${t.api}/api/v1/apply`, {
      method: 'POST',
      body: JSON.stringify({ documents: [thermostatModel(), thermostat('t1', 'edge-1')] }),
    });
    expect(res.status).toBe(200);
    edge = await RawEdge.connect(t.cloud.ports.hub, 'edge-1');
  });

  afterAll(async () => {
    edge?.close();
    await t?.stop();
    await broker?.close();
  });

  it('delivers telemetry (QoS 1) with the documented payload, once per message id', async () => {
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const got: Array<{ topic: string; body: TelemetryPayload }> = [];
    sub.on('message', (topic, payload) =>
      got.push({ topic, body: JSON.parse(payload.toString()) as TelemetryPayload }),
    );
    await sub.subscribeAsync('kedge/telemetry/#', { qos: 1 });
    try {
      const readings: TestReading[] = [
        { property: 'temperature', value: 21.5, unit: 'degC', quality: 'good', ts: 1000 },
        { property: 'temperature', value: null, quality: 'bad', ts: 2000 },
      ];
      for (let i = 0; i < 2; i++) edge.telemetry('edge-1', 'default/t1', readings, 'm-1');
      await waitUntil(() => edge.acksFor('m-1').length === 2 && got.length >= 1, 'acks and delivery');
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([
        { topic: 'kedge/telemetry/default/t1', body: { namespace: 'default', device: 't1', node: 'edge-1', readings } },
      ]);
    } finally {
      await sub.endAsync();
    }
  });

  it('keeps the latest twin, device and node availability retained for late subscribers (mosquitto_sub)', async () => {
    const report = edge.upload('edge-1', 'default/devicetwin/t1', {
      properties: { temperature: { reported: { value: '21.5', quality: 'good', ts: 5, version: 1 } } },
    });
    const state = edge.upload('edge-1', 'default/devicestate/t1', { state: 'online', ts: 6 });
    await waitUntil(
      () => edge.acksFor(report.header.msg_id).length === 1 && edge.acksFor(state.header.msg_id).length === 1,
      'acks',
    );
    /** The retained payload of `topic`, as the consumer's own MQTT client sees it. */
    const sub = (topic: string): unknown => {
      const out = spawnSync(
        'mosquitto_sub',
        ['-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-C', '1', '-W', '5'],
        { encoding: 'utf8' },
      );
      if (out.error) throw new Error(`mosquitto_sub failed (is mosquitto-clients installed?): ${out.error.message}`);
      expect(out.status).toBe(0);
      return JSON.parse(out.stdout) as unknown;
    };
    expect(sub('kedge/twin/default/t1')).toMatchObject({
      id: 'default/t1',
      node: 'edge-1',
      properties: { temperature: { reported: { value: '21.5', quality: 'good' } } },
    });
    expect(sub('kedge/status/device/default/t1')).toMatchObject({
      namespace: 'default',
      device: 't1',
      node: 'edge-1',
      state: 'online',
    });
    expect(sub('kedge/status/node/edge-1')).toMatchObject({ node: 'edge-1', ready: true });
  });
});
