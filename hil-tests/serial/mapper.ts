/** A mapper (the SDK runtime) in this process on an aedes broker, collecting raw data per device. */
import { mapperDefaults } from '../../src/core/config/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeFilters, edgeTopics, type RawData } from '../../src/contracts/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import type { DeviceInstance } from '../../src/model/index.js';
import { type DriverLoader, driverLoader } from '../../mappers/drivers.js';
import { driverRegistry, MapperRuntime, mapperBuffer } from '../../mappers/sdk/index.js';
import { startAedes } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';

export const NODE = 'edge-test';

export interface MqttMapper {
  client: TestClient;
  publishDevices(protocol: string, devices: DeviceInstance[]): Promise<void>;
  /** Every reading received for a device on its raw-data topic. */
  readings(deviceId: string): RawData['readings'];
  stop(): Promise<void>;
}

export async function startMqttMapper(
  protocols: string[],
  loaders?: Record<string, DriverLoader>,
): Promise<MqttMapper> {
  const broker = await startAedes();
  const dataDir = await mkdtemp(join(tmpdir(), 'kedge-mapper-hil-'));
  const client = await TestClient.connect(broker.url, [edgeFilters.dataRaw]);
  const runtime = new MapperRuntime({
    buffer: mapperBuffer(mapperDefaults()),
    name: 'hil-mapper',
    node: NODE,
    protocols,
    mqttUrl: broker.url,
    dataDir,
    logger: silentLogger(),
    clock: systemClock,
    metrics: createMetricsRegistry(),
    reconnectPeriodMs: 200,
    drivers: loaders ? driverRegistry(loaders) : driverLoader,
  });
  await runtime.start();
  return {
    client,
    publishDevices: (protocol, devices) =>
      client.publish(
        edgeTopics.mapperDevices(protocol),
        { node: NODE, protocol, version: 1, devices: devices.map((d) => ({ ...d, nodeName: NODE })) },
        { retain: true },
      ),
    readings: (id) => client.payloads<RawData>(edgeTopics.dataRaw(id)).flatMap((u) => u.readings),
    stop: async () => {
      await runtime.stop();
      await client.close();
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
