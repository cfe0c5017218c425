/**
 * Every serial model in device-models/ end to end: `kedge sim serial` as a process plays it on one
 * end of a socat pty pair, the mapper (SDK runtime + serial driver from the registry) reads the
 * other end, and every property arrives good on the raw-data MQTT topic.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/model/index.js';
import { root, spawnKedge } from '../support/kedge-process.js';
import { waitUntil } from './harness.js';
import { startMqttMapper } from './mapper.js';
import { createPtyPair } from './pty.js';

const ENTRY = join(root, 'hil-tests/serial/cli-entry.ts');
const MODELS = join(root, 'device-models');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function serialModels(): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(MODELS)).filter((f) => f.endsWith('.yaml')).sort()) {
    const result = await validateFiles([join(MODELS, name)]);
    if (result.instances.some((i) => i.protocol === 'serial')) out.push(join(MODELS, name));
  }
  return out;
}

const models = await serialModels();

describe('every serial model in device-models/ against kedge sim serial, over MQTT', () => {
  it('finds the serial models', () => {
    expect(models.map((m) => m.split('/').pop())).toEqual(
      expect.arrayContaining(['u-blox-neo-6m.yaml', 'vaisala-hmp240.yaml']),
    );
  });

  it.each(models.map((m) => [m.split('/').pop()!, m] as const))(
    '%s: every property reaches the raw-data topic good',
    async (_name, file) => {
      const pair = await createPtyPair();
      cleanups.push(() => pair.cleanup());
      const sim = spawnKedge(['sim', 'serial', '--model', file, '--path', pair.a, '--interval-ms', '200'], {
        entry: ENTRY,
      });
      cleanups.push(() => sim.stop('SIGKILL'));
      await sim.waitForOutput(/serial simulator on /, 20_000);
      const mapper = await startMqttMapper(['serial']);
      cleanups.push(() => mapper.stop());
      const devices = (await validateFiles([file])).instances
        .filter((d) => d.protocol === 'serial')
        .map((d) => ({
          ...d,
          protocolConfig: { ...d.protocolConfig, serialPort: pair.b },
          properties: d.properties.map((p) => ({ ...p, collectCycleMs: 200 })),
        }));
      await mapper.publishDevices('serial', devices);
      for (const d of devices) {
        const goodNames = () =>
          new Set(
            mapper
              .readings(d.id)
              .filter((r) => r.quality === 'good')
              .map((r) => r.property),
          );
        await waitUntil(
          `${d.id}: good readings of every property`,
          () => d.properties.every((p) => goodNames().has(p.name)),
          20_000,
        );
        for (const r of mapper.readings(d.id).filter((x) => x.quality === 'good' && typeof x.value === 'number')) {
          const p = d.properties.find((q) => q.name === r.property)!;
          if (p.minimum !== undefined) expect(r.value as number).toBeGreaterThanOrEqual(p.minimum);
          if (p.maximum !== undefined) expect(r.value as number).toBeLessThanOrEqual(p.maximum);
        }
        expect(mapper.readings(d.id).filter((r) => r.quality !== 'good')).toEqual([]);
      }
      await mapper.stop();
      expect(await sim.stop('SIGTERM')).toBe(0);
      expect(sim.stdout()).toMatch(/sent: \d+ NMEA sentences, \d+ lines, \d+ answers/);
    },
  );
});
