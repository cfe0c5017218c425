/**
 * Every OPC UA model in device-models/ end to end: the simulator serves it, a mapper (MapperRuntime
 * with the OPC UA driver) gets the device set over MQTT, and every property reaches the raw-data
 * topic with quality good; a twin delta for each writable DOUBLE is written and read back.
 */
import { mapperDefaults } from '../../src/core/config/index.js';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../mappers/opcua/index.js';
import { startOpcuaSim } from '../../mappers/opcua/sim/index.js';
import { driverRegistry, MapperRuntime, mapperBuffer } from '../../mappers/sdk/index.js';
import {
  edgeFilters,
  edgeTopics,
  type RawData,
  type MapperDeviceSet,
  type WriteResult,
} from '../../src/contracts/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { validateFiles, type DeviceInstance } from '../../src/model/index.js';
import { startAedes } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';

const NODE = 'edge-opcua-test';
// KEDGE_OPCUA_URL=opc.tcp://host:port runs the same checks against a real server instead of the
// simulator (e.g. Unified Automation's demo server for unified-automation-uacppserver.yaml).
const realUrl = process.env['KEDGE_OPCUA_URL'];
const MODELS = join(packageRoot(), 'device-models');
const steps: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
});

async function opcuaModels(): Promise<Array<{ file: string; devices: DeviceInstance[] }>> {
  const out = [];
  for (const name of (await readdir(MODELS)).filter((f) => f.endsWith('.yaml')).sort()) {
    const file = join(MODELS, name);
    const devices = (await validateFiles([file])).instances.filter((i) => i.protocol === 'opcua');
    if (devices.length > 0) out.push({ file, devices });
  }
  return out;
}

const models = await opcuaModels();

describe('every OPC UA model in device-models/ through the mapper to MQTT', () => {
  it('finds the OPC UA models', () => {
    expect(models.map((m) => m.file.split('/').pop())).toContain('unified-automation-uacppserver.yaml');
  });

  it.each(models.map((m) => [m.file.split('/').pop()!, m] as const))(
    '%s: every property reaches the raw-data topic good',
    async (_name, { file, devices }) => {
      const users = devices.flatMap((d) => {
        const c = d.protocolConfig as { userName?: string; password?: string };
        return c.userName ? [{ userName: c.userName, password: c.password ?? '' }] : [];
      });
      const sim = realUrl ? undefined : await startOpcuaSim({ files: [file], updateIntervalMs: 200, users });
      steps.push(async () => sim?.stop());
      const broker = await startAedes();
      steps.push(() => broker.close());
      const client = await TestClient.connect(broker.url, [edgeFilters.dataRaw, edgeFilters.writeResult]);
      steps.push(() => client.close());
      const dataDir = await mkdtemp(join(tmpdir(), 'kedge-opcua-mapper-'));
      steps.push(() => rm(dataDir, { recursive: true, force: true }));
      const runtime = new MapperRuntime({
        buffer: mapperBuffer(mapperDefaults()),
        name: 'opcua-test',
        node: NODE,
        protocols: ['opcua'],
        mqttUrl: broker.url,
        dataDir,
        logger: silentLogger(),
        clock: systemClock,
        metrics: createMetricsRegistry(),
        reconnectPeriodMs: 200,
        drivers: driverRegistry({
          opcua: async () => ({
            createDriver: (ctx) => createDriver(ctx, { backoff: { initialMs: 100, maxMs: 500 } }),
          }),
        }),
      });
      await runtime.start();
      steps.push(() => runtime.stop());
      const served = devices.map((d) => ({
        ...d,
        nodeName: NODE,
        protocolConfig: { ...d.protocolConfig, url: realUrl ?? sim!.endpointUrl },
      }));
      const set: MapperDeviceSet = { node: NODE, protocol: 'opcua', version: 1, devices: served };
      await client.publish(edgeTopics.mapperDevices('opcua'), set, { retain: true });
      for (const device of served) {
        const good = new Map<string, unknown>();
        await client.waitFor<RawData>(
          edgeTopics.dataRaw(device.id),
          (u) => {
            for (const r of u.readings) if (r.quality === 'good') good.set(r.property, r.value);
            return good.size === device.properties.length;
          },
          20_000,
        );
        expect([...good.keys()].sort()).toEqual(device.properties.map((p) => p.name).sort());
        for (const p of device.properties) {
          const v = good.get(p.name);
          if (typeof v === 'number' && p.minimum !== undefined) expect(v).toBeGreaterThanOrEqual(p.minimum);
          if (typeof v === 'number' && p.maximum !== undefined) expect(v).toBeLessThanOrEqual(p.maximum);
        }
        // A desired value for each writable DOUBLE: twin delta -> driver write -> read-back published.
        for (const p of device.properties.filter((q) => q.accessMode === 'ReadWrite' && q.type === 'DOUBLE')) {
          const delta = { event_id: `e-${p.name}`, timestamp: Date.now(), twin: {}, delta: { [p.name]: '33.25' } };
          await client.publish(edgeTopics.twinUpdateDelta(device.id), delta);
          const result = await client.waitFor<WriteResult>(
            edgeTopics.writeResult(device.id),
            (r) => r.property === p.name,
            10_000,
          );
          expect(result).toMatchObject({
            ok: true,
            desired: '33.25',
            readBack: { property: p.name, value: 33.25, quality: 'good' },
          });
          if (sim) expect(sim.getValue(String(p.visitor['nodeID']))).toBe(33.25);
        }
      }
    },
  );
});
