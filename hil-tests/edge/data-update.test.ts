/**
 * KubeEdge's `$ke/events/device/<ns>/<name>/data/update` carries its DeviceData shape both ways,
 * through the embedded broker and an external Mosquitto: a third-party mapper's DeviceData is read
 * (values parsed by type, cleansed), and a kedge mapper's compact readings (on kedge's own
 * `data/raw`) are republished there as DeviceData for consumers written for KubeEdge, once each
 * (the edge never reads its own republication back).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { edgeTopics, type DeviceData } from '../../src/contracts/index.js';
import { mapperUrl } from '../../src/edge/testing/index.js';
import { startMosquitto, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { edgeConfig, startEdge, thermostat, thermostatModel, type RunningEdge } from './fixtures.js';

const ID = 'default/thermo-1';

for (const brokerKind of ['aedes', 'mosquitto'] as const) {
  describe(`data/update in KubeEdge's DeviceData shape (${brokerKind})`, () => {
    let edge: RunningEdge | undefined;
    let broker: TestBroker | undefined;
    let consumer: TestClient | undefined;
    let mapper: TestClient | undefined;
    afterEach(async () => {
      await consumer?.close();
      await mapper?.close();
      await edge?.close();
      await broker?.close();
      consumer = mapper = edge = broker = undefined;
    });

    async function setUp() {
      if (brokerKind === 'mosquitto') broker = await startMosquitto();
      edge = await startEdge(broker ? { mqtt: { ...edgeConfig('').mqtt, port: 0, url: broker.url } } : {});
      await edge.node.bus.request('meta.apply', { documents: [thermostatModel(), thermostat('thermo-1')] });
      const url = edge.node.eventbus.url;
      consumer = await TestClient.connect(url, [
        '$ke/events/device/+/+/data/update',
        '$ke/events/device/+/+/data/cleansed',
      ]);
      // The embedded broker lets clients without credentials only subscribe: the mapper logs in as
      // kedge-mapper with the password in the edge's data dir (src/edge/README.md, "Broker access").
      mapper = await TestClient.connect(broker ? url : mapperUrl(url, edge.dataDir), []);
    }

    it("a kedge mapper's readings reach a KubeEdge consumer as DeviceData, once each", async () => {
      await setUp();
      // A current time: #15's plausibility rule makes a reading older than edge.readings.maxAgeMs bad.
      const t0 = Date.now();
      for (const [i, value] of [21.5, 22].entries()) {
        await mapper!.publish(
          edgeTopics.dataRaw(ID),
          JSON.stringify({
            event_id: `m-${i}`,
            timestamp: t0 + i,
            readings: [
              { property: 'temperature', value, quality: 'good', ts: t0 + i },
              { property: 'setpoint', value: null, quality: 'bad', ts: t0 + i, reason: 'timeout' },
            ],
          }),
        );
      }
      const topic = edgeTopics.dataUpdate(ID);
      await consumer!.waitFor(topic, () => consumer!.messages(topic).length >= 2);
      const [first, second] = consumer!.payloads<DeviceData>(topic);
      // mapper-framework pkg/common/eventtype.go DeviceData: {event_id, timestamp, data: {p: {value, metadata: {timestamp, type}}}}
      expect(first).toEqual({
        event_id: expect.stringMatching(/^kedge-edge:/),
        timestamp: expect.any(Number),
        data: { temperature: { value: '21.5', metadata: { timestamp: t0, type: 'float' } } },
      });
      expect(second?.data.temperature?.value).toBe('22');
      // Both readings were cleansed once: the republication did not come back in.
      await consumer!.waitFor(
        edgeTopics.dataCleansed(ID),
        () => consumer!.messages(edgeTopics.dataCleansed(ID)).length >= 2,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(consumer!.messages(topic)).toHaveLength(2);
      expect(consumer!.messages(edgeTopics.dataCleansed(ID))).toHaveLength(2);
    });

    it("a third-party mapper's DeviceData (mappers-go CreateMessageData) is read and not republished", async () => {
      await setUp();
      const t0 = Date.now();
      const topic = edgeTopics.dataUpdate(ID);
      const message = {
        event_id: '',
        timestamp: t0,
        data: { temperature: { value: '23.25', metadata: { timestamp: t0, type: 'float' } } },
      };
      await mapper!.publish(topic, JSON.stringify(message));
      const cleansed = await consumer!.waitFor<{
        readings: Array<{ property: string; value: number; quality: string }>;
      }>(edgeTopics.dataCleansed(ID));
      expect(cleansed.readings).toEqual([
        expect.objectContaining({ property: 'temperature', value: 23.25, quality: 'good' }),
      ]);
      const view = await edge!.node.bus.request('twin.view', { deviceId: ID });
      expect(view?.properties.temperature?.reported?.value).toBe('23.25');
      await new Promise((r) => setTimeout(r, 300));
      expect(consumer!.payloads(topic)).toEqual([message]);
    });
  });
}
