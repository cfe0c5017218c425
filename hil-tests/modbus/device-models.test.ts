/**
 * Every Modbus model in device-models/ end to end: `kedge sim modbus --model <file> --tcp 0` as a
 * process serves it, the mapper polls it, and every property arrives good on the raw-data topic.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData } from '../../src/contracts/index.js';
import { validateFiles, type DeviceInstance } from '../../src/model/index.js';
import { startAedes } from '../support/brokers.js';
import { root, spawnKedge } from '../support/kedge-process.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, deviceSet, publishSet, startMapper } from './harness.js';
import { overTcp } from './model-target.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ENTRY = join(root, 'hil-tests/support/cli-entry.ts');
const MODELS = join(root, 'device-models');

async function modbusModels(): Promise<Array<{ file: string; devices: DeviceInstance[] }>> {
  const out = [];
  for (const name of (await readdir(MODELS)).filter((f) => f.endsWith('.yaml')).sort()) {
    const file = join(MODELS, name);
    const result = await validateFiles([file]);
    const devices = result.instances.filter((i) => i.protocol === 'modbus');
    if (devices.length > 0) out.push({ file, devices });
  }
  return out;
}

const models = await modbusModels();

describe('every Modbus model in device-models/ against kedge sim modbus', () => {
  it('finds the Modbus models', () => {
    expect(models.map((m) => m.file.split('/').pop())).toEqual(
      expect.arrayContaining(['eastron-sdm120.yaml', 'generic-xy-md02.yaml', 'moxa-iologik-e1214.yaml']),
    );
    expect(models.length).toBeGreaterThanOrEqual(5);
  });

  it.each(models.map((m) => [m.file.split('/').pop()!, m] as const))(
    '%s: every property reaches the raw-data topic good',
    async (_name, { file, devices }) => {
      const sim = spawnKedge(['sim', 'modbus', '--model', file, '--tcp', '0'], { entry: ENTRY });
      cleanup.add(() => sim.stop('SIGKILL'));
      const [, host, port] = await sim.waitForOutput(/listening on modbus tcp (\S+):(\d+)/);
      const broker = await startAedes();
      cleanup.add(() => broker.close());
      const client = await TestClient.connect(broker.url, [edgeFilters.dataRaw]);
      cleanup.add(() => client.close());
      const mapper = await startMapper(broker.url);
      cleanup.add(() => mapper.stop());
      // Fast polling for the test; the model's own cycles are seconds.
      const served = devices.map((d) => ({
        ...overTcp(d, host!, Number(port)),
        properties: d.properties.map((p) => ({ ...p, collectCycleMs: 200 })),
      }));
      await publishSet(client, deviceSet(1, served));
      for (const device of served) {
        const update = await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), () => true, 15_000);
        expect(update.readings.map((r) => r.property).sort()).toEqual(device.properties.map((p) => p.name).sort());
        const bad = update.readings.filter((r) => r.quality !== 'good');
        expect(bad, `${device.id}: ${JSON.stringify(bad)}`).toEqual([]);
        for (const r of update.readings) {
          const p = device.properties.find((q) => q.name === r.property)!;
          if (typeof r.value === 'number' && p.minimum !== undefined)
            expect(r.value).toBeGreaterThanOrEqual(p.minimum - 1e-6);
          if (typeof r.value === 'number' && p.maximum !== undefined)
            expect(r.value).toBeLessThanOrEqual(p.maximum + 1e-6);
        }
      }
      await mapper.stop();
      expect(await sim.stop('SIGTERM')).toBe(0);
      expect(sim.stdout()).toMatch(/requests \(unit: function code = count\):\n {2}unit \d+: FC\d+=\d+/);
    },
  );
});
