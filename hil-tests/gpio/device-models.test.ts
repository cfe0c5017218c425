/**
 * Every GPIO model in device-models/ end to end: `kedge sim gpio` as a process holds the pins
 * (inputs driven by its --script), the mapper (SDK runtime + GPIO driver with
 * KEDGE_GPIO_BACKEND=sim) reads them, and every property arrives good on the raw-data topic;
 * `kedge sim gpio --toggle` flips an input and the change arrives too.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/model/index.js';
import { root, spawnKedge } from '../support/kedge-process.js';
import { waitUntil } from '../serial/harness.js';
import { startMqttMapper } from '../serial/mapper.js';

const ENTRY = join(root, 'hil-tests/serial/cli-entry.ts');
const MODELS = join(root, 'device-models');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function gpioModels(): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(MODELS)).filter((f) => f.endsWith('.yaml')).sort()) {
    const result = await validateFiles([join(MODELS, name)]);
    if (result.instances.some((i) => i.protocol === 'gpio')) out.push(join(MODELS, name));
  }
  return out;
}

const models = await gpioModels();

describe('every GPIO model in device-models/ against kedge sim gpio, over MQTT', () => {
  it('finds the GPIO models', () => {
    expect(models.map((m) => m.split('/').pop())).toEqual(
      expect.arrayContaining(['hc-sr501-pir-motion-sensor.yaml', 'waveshare-rpi-relay-board.yaml']),
    );
  });

  it.each(models.map((m) => [m.split('/').pop()!, m] as const))(
    '%s: every property reaches the raw-data topic good; a toggled input arrives',
    async (_name, file) => {
      const dir = await mkdtemp(join(tmpdir(), 'kedge-gpio-hil-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const socket = join(dir, 'gpio.sock');
      const devices = (await validateFiles([file])).instances
        .filter((d) => d.protocol === 'gpio')
        .map((d) => ({ ...d, properties: d.properties.map((p) => ({ ...p, collectCycleMs: 200 })) }));
      const inputs = devices.flatMap((d) =>
        d.properties
          .filter((p) => p.visitor['direction'] === 'in')
          .map((p) => ({ device: d, p, pin: Number(p.visitor['pin']) })),
      );
      const sim = spawnKedge(['sim', 'gpio', '--model', file, '--socket', socket], { entry: ENTRY });
      cleanups.push(() => sim.stop('SIGKILL'));
      await sim.waitForOutput(/GPIO simulator on /, 20_000);
      const { createDriver } = await import('../../mappers/gpio/index.js');
      const mapper = await startMqttMapper(['gpio'], {
        gpio: async () => ({ createDriver: (ctx) => createDriver(ctx, { backend: 'sim', simSocket: socket }) }),
      });
      cleanups.push(() => mapper.stop());
      await mapper.publishDevices('gpio', devices);
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
        expect(mapper.readings(d.id).filter((r) => r.quality !== 'good')).toEqual([]);
      }
      for (const { device, p, pin } of inputs) {
        const toggle = spawnKedge(['sim', 'gpio', '--socket', socket, '--toggle', String(pin)], { entry: ENTRY });
        expect(await toggle.exited).toBe(0);
        expect(toggle.stdout()).toContain(`pin ${pin} -> 1`);
        const want = p.type === 'BOOLEAN' ? true : 1;
        await waitUntil(
          `${device.id} ${p.name} = ${want}`,
          () => mapper.readings(device.id).some((r) => r.property === p.name && r.value === want),
          10_000,
        );
      }
      await mapper.stop();
      expect(await sim.stop('SIGTERM')).toBe(0);
    },
  );
});
