/**
 * KubeEdge twin traffic over real MQTT: `mosquitto_pub` (the real client) publishes a KubeEdge
 * twin/update; the node answers with result, document and delta like KubeEdge; twin/get answers.
 * Once through the embedded aedes broker and once through an external Mosquitto.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeTopics } from '../../src/contracts/index.js';
import { startMosquitto, type TestBroker } from '../support/brokers.js';
import { mapperUrl } from '../../src/edge/testing/index.js';
import { TestClient } from '../support/mqtt-client.js';
import { edgeConfig, startEdge, thermostat, thermostatModel, type RunningEdge } from './fixtures.js';

const ID = 'default/thermo-1';

function mosquittoPub(url: string, topic: string, message: string): Promise<void> {
  const { hostname, port, username, password } = new URL(url);
  const login = username ? ['-u', decodeURIComponent(username), '-P', decodeURIComponent(password)] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      'mosquitto_pub',
      ['-h', hostname, '-p', port, ...login, '-q', '1', '-V', 'mqttv311', '-t', topic, '-m', message],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) =>
      reject(new Error(`mosquitto_pub could not run (apt-get install mosquitto-clients): ${e.message}`)),
    );
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${err}`))));
  });
}

for (const brokerKind of ['aedes', 'mosquitto'] as const) {
  describe(`KubeEdge twin over MQTT (${brokerKind})`, () => {
    let edge: RunningEdge | undefined;
    let broker: TestBroker | undefined;
    let client: TestClient | undefined;
    afterEach(async () => {
      await client?.close();
      await edge?.close();
      await broker?.close();
      client = edge = broker = undefined;
    });

    async function setUp(annotations: Record<string, string> = {}) {
      if (brokerKind === 'mosquitto') broker = await startMosquitto();
      edge = await startEdge(broker ? { mqtt: { ...edgeConfig('').mqtt, port: 0, url: broker.url } } : {});
      const applied = await edge.node.bus.request('meta.apply', {
        documents: [thermostatModel(), thermostat('thermo-1', annotations)],
      });
      expect(applied.applied.map((a) => a.action)).toEqual(['created', 'created']);
      const url = edge.node.eventbus.url;
      client = await TestClient.connect(url, ['$hw/events/device/+/+/twin/#', '$ke/events/device/+/+/data/cleansed']);
      // The embedded broker lets clients without credentials only subscribe: the mapper publishes
      // as kedge-mapper with the password in the edge's data dir (src/edge/README.md).
      return broker ? url : mapperUrl(url, edge.dataDir);
    }

    it('a reported (actual) value updates the twin: result, document, cleansed reading; twin/get answers', async () => {
      const url = await setUp();
      const update = {
        event_id: 'ev-1',
        timestamp: Date.now(), // a reading's time within edge.readings' bounds of the edge's clock
        twin: {
          temperature: {
            actual: { value: '21.5', metadata: { timestamp: Date.now() } },
            metadata: { type: 'float' },
          },
        },
      };
      await mosquittoPub(url, edgeTopics.twinUpdate(ID), JSON.stringify(update));
      const result = await client!.waitFor<{ event_id: string; twin: Record<string, { actual?: { value: string } }> }>(
        edgeTopics.twinUpdateResult(ID),
        (p) => p.event_id === 'ev-1',
      );
      expect(result.twin.temperature?.actual?.value).toBe('21.5');
      const doc = await client!.waitFor<{
        twin: Record<string, { last: unknown; current: { actual?: { value: string } } }>;
      }>(edgeTopics.twinUpdateDocument(ID));
      expect(doc.twin.temperature?.current.actual?.value).toBe('21.5');
      const cleansed = await client!.waitFor<{ readings: Array<{ property: string; value: number; quality: string }> }>(
        edgeTopics.dataCleansed(ID),
      );
      expect(cleansed.readings[0]).toMatchObject({ property: 'temperature', value: 21.5, quality: 'good' });

      await mosquittoPub(url, edgeTopics.twinGet(ID), JSON.stringify({ event_id: 'get-1', timestamp: 1 }));
      const got = await client!.waitFor<{
        event_id: string;
        twin: Record<string, { actual?: { value: string }; expected_version?: unknown }>;
      }>(edgeTopics.twinGetResult(ID), (p) => p.event_id === 'get-1');
      expect(got.twin.temperature?.actual?.value).toBe('21.5');
      expect(Object.keys(got.twin).sort()).toEqual(['relay', 'setpoint', 'temperature']);
    });

    it('an expected value from an edge app (allowed by annotation) yields a delta; the reported value confirms it', async () => {
      const url = await setUp({ 'kedge.io/local-desired': 'true' });
      await mosquittoPub(
        url,
        edgeTopics.twinUpdate(ID),
        JSON.stringify({ event_id: 'ev-2', timestamp: Date.now(), twin: { setpoint: { expected: { value: '42' } } } }),
      );
      const delta = await client!.waitFor<{
        delta: Record<string, string>;
        twin: Record<string, { expected?: { value: string } }>;
      }>(edgeTopics.twinUpdateDelta(ID));
      expect(delta.delta).toEqual({ setpoint: '42' });
      expect(delta.twin.setpoint?.expected?.value).toBe('42');
      expect((await edge!.node.bus.request('twin.view', { deviceId: ID }))?.properties.setpoint?.pending).toBe(true);
      // The mapper (KubeEdge-style) reports the new actual value: the desired value is confirmed.
      await mosquittoPub(
        url,
        edgeTopics.twinUpdate(ID),
        JSON.stringify({ event_id: 'ev-3', timestamp: Date.now(), twin: { setpoint: { actual: { value: '42' } } } }),
      );
      await client!.waitFor(edgeTopics.twinUpdateResult(ID), (p: { event_id: string }) => p.event_id === 'ev-3');
      const view = await edge!.node.bus.request('twin.view', { deviceId: ID });
      expect(view?.properties.setpoint).toMatchObject({ desired: { value: '42' }, reported: { value: '42' } });
      expect(view?.properties.setpoint?.pending).toBeUndefined();
    });

    it('refuses an expected value when the device does not allow local desired values, and bad payloads, with error results', async () => {
      const url = await setUp();
      await mosquittoPub(
        url,
        edgeTopics.twinUpdate(ID),
        JSON.stringify({ event_id: 'ev-4', timestamp: Date.now(), twin: { setpoint: { expected: { value: '7' } } } }),
      );
      const refused = await client!.waitFor<{ event_id: string; code: number; reason: string }>(
        edgeTopics.twinUpdateResult(ID),
        (p) => p.event_id === 'ev-4',
      );
      expect(refused.code).toBe(403);
      expect(refused.reason).toContain('kedge.io/local-desired');
      await mosquittoPub(url, edgeTopics.twinUpdate(ID), '{"event_id":"ev-5", broken');
      const malformed = await client!.waitFor<{ code: number; reason: string }>(
        edgeTopics.twinUpdateResult(ID),
        (p) => p.code === 400,
      );
      expect(malformed.reason).toContain('malformed JSON');
      await mosquittoPub(
        url,
        edgeTopics.twinUpdate(ID),
        JSON.stringify({
          event_id: 'ev-6',
          timestamp: Date.now(),
          twin: { temperature: { actual: { value: 'warm' } } },
        }),
      );
      const badValue = await client!.waitFor<{ event_id: string; code: number; reason: string }>(
        edgeTopics.twinUpdateResult(ID),
        (p) => p.event_id === 'ev-6',
      );
      expect(badValue.reason).toContain('twin.temperature.actual.value');
      expect(edge!.node.eventbus.rejectedCounts.get('twinUpdate|malformed-json')).toBe(1);
    });
  });
}
