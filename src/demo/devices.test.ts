import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../core/paths/index.js';
import { validateFiles } from '../model/index.js';
import { prepareDemoDevice, type DemoDeviceKind } from './devices.js';

const out = mkdtempSync(join(tmpdir(), 'kedge-demo-devices-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const models = join(packageRoot(), 'device-models');
const ep = { node: 'demo', modbusPort: 15020, opcuaPort: 14840, serialPath: '/dev/pts/99' };

describe('demo devices', () => {
  it.each<DemoDeviceKind>(['io', 'meter', 'opcua', 'serial'])(
    '%s: rewritten for the demo node and simulator, still valid',
    async (kind) => {
      const d = await prepareDemoDevice(models, out, kind, ep);
      const protocol = d.protocol;
      const result = await validateFiles([d.file]);
      expect(result.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
      const device = result.devices[0]!;
      expect(device.spec.nodeName).toBe('demo');
      const config = device.spec.protocol!.configData as Record<string, unknown>;
      if (protocol === 'modbus') expect([config.ip, config.port]).toEqual(['127.0.0.1', 15020]);
      if (protocol === 'opcua') expect(config.url).toBe('opc.tcp://127.0.0.1:14840');
      if (protocol === 'serial') expect(config.serialPort).toBe('/dev/pts/99');
      for (const p of device.spec.properties ?? []) expect(p.collectCycle ?? 0).toBeLessThanOrEqual(2000);
      expect(d.id).toBe(`default/${device.metadata.name}`);
    },
  );

  it('lists writable properties for the twin set hint', async () => {
    const d = await prepareDemoDevice(models, out, 'io', ep);
    expect(d.writable.map((w) => w.name)).toContain('relay-0');
    expect(d.properties.slice(0, 2)).toEqual([
      { name: 'relay-0', type: 'BOOLEAN', writable: true },
      { name: 'relay-1', type: 'BOOLEAN', writable: true },
    ]);
  });

  it("the meter: its own unit on the shared simulator, and spikes on its voltage rejected by the demo's cleansing", async () => {
    const d = await prepareDemoDevice(models, out, 'meter', ep);
    const result = await validateFiles([d.file]);
    const device = result.instances[0]!;
    expect(device.protocolConfig.slaveID).toBe(2);
    expect(d.spiky).toBe('voltage');
    expect(device.properties.find((p) => p.name === 'voltage')?.cleansing).toMatchObject({
      range: { min: 0, max: 300 },
      spike: { maxStep: 20 },
      holdLast: { staleAfterMs: 10_000 },
    });
  });
});
