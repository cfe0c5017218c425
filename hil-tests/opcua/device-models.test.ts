import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaDriver } from '../../mappers/opcua/index.js';
import { loadOpcuaInstances, startOpcuaSim } from '../../mappers/opcua/sim/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import type { PropertyValue } from '../../src/model/index.js';
import { recorder, type Recorder } from './harness.js';

const root = packageRoot();
const dir = join(root, 'device-models');
const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
const opcuaFiles: string[] = [];
for (const f of files) if (/protocolName:\s*opcua\b/i.test(await readFile(join(dir, f), 'utf8'))) opcuaFiles.push(f);

const TYPE_CHECK: Record<string, (v: PropertyValue | null) => boolean> = {
  INT: (v) => Number.isInteger(v),
  FLOAT: (v) => typeof v === 'number',
  DOUBLE: (v) => typeof v === 'number',
  BOOLEAN: (v) => typeof v === 'boolean',
  STRING: (v) => typeof v === 'string',
  BYTES: (v) => typeof v === 'string',
};

// KEDGE_OPCUA_URL=opc.tcp://host:port runs the same checks against a real server instead of the
// simulator (e.g. Unified Automation's demo server for unified-automation-uacppserver.yaml).
const realUrl = process.env['KEDGE_OPCUA_URL'];

let rec: Recorder;
let driver: OpcuaDriver;
beforeAll(async () => {
  rec = await recorder();
  driver = new OpcuaDriver(rec.ctx);
  await driver.start();
});
afterAll(async () => {
  await driver?.stop();
  await rec?.cleanup();
});

describe('device-models/ with protocol opcua against the simulator', () => {
  it('finds the OPC UA models', () => {
    expect(opcuaFiles.length).toBeGreaterThan(0);
  });

  for (const file of opcuaFiles) {
    it(`${file}: every property of every device delivers a good value of its type`, async () => {
      const path = join(dir, file);
      const instances = await loadOpcuaInstances([path]);
      const users = instances.flatMap((d) => {
        const c = d.protocolConfig as { userName?: string; password?: string };
        return c.userName ? [{ userName: c.userName, password: c.password ?? '' }] : [];
      });
      const sim = realUrl ? undefined : await startOpcuaSim({ files: [path], updateIntervalMs: 200, users });
      try {
        for (const device of instances) {
          // Same device, served by the simulator (or the real server) instead of the example URL.
          await driver.addDevice({ ...device, protocolConfig: { ...device.protocolConfig, url: realUrl ?? sim!.endpointUrl } });
        }
        for (const device of instances) {
          for (const p of device.properties) {
            await rec.waitFor(`${device.id} ${p.name}`, () => rec.readingsOf(device.id, p.name).some((r) => r.quality === 'good'));
            const reading = rec.readingsOf(device.id, p.name).find((r) => r.quality === 'good')!;
            expect(TYPE_CHECK[p.type]!(reading.value), `${device.id} ${p.name} ${p.type} got ${JSON.stringify(reading.value)}`).toBe(true);
            if (typeof reading.value === 'number' && p.minimum !== undefined) expect(reading.value).toBeGreaterThanOrEqual(p.minimum);
            if (typeof reading.value === 'number' && p.maximum !== undefined) expect(reading.value).toBeLessThanOrEqual(p.maximum);
          }
          const writable = device.properties.find((p) => p.accessMode === 'ReadWrite' && p.type === 'DOUBLE');
          if (writable) expect(await driver.write(device.id, writable.name, 12.25)).toMatchObject({ value: 12.25, quality: 'good' });
        }
      } finally {
        for (const device of instances) await driver.removeDevice(device.id);
        await sim?.stop();
      }
    });
  }
});
