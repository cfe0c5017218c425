import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isKedgeError } from '../../src/core/errors/index.js';
import type { ProtocolDriver } from '../sdk/contract.js';
import { device, property, recordingContext, type RecordingContext } from '../serial/testing/context.js';
import { flush } from '../serial/testing/fake-port.js';
import {
  createDriver,
  GpioSimServer,
  inaccessibleBackend,
  NOT_ACCESSIBLE_REASON,
  SimClient,
  SimGpioBackend,
  type GpioBackend,
} from './index.js';

let ctx: RecordingContext;
let driver: ProtocolDriver;
let sim: SimGpioBackend;

async function setUp(backend: GpioBackend | undefined = undefined, options: Parameters<typeof createDriver>[1] = {}) {
  ctx = recordingContext();
  sim = new SimGpioBackend();
  driver = createDriver(ctx, { backend: backend ?? sim, ...options });
  await driver.start();
}

afterEach(async () => {
  await driver.stop();
  expect(ctx.clock.pending).toBe(0);
});

const pir = (visitor: Record<string, unknown> = {}, cycle = 1000) =>
  device('pir', 'gpio', {}, [
    property('motion', 'BOOLEAN', { pin: 17, direction: 'in', edge: 'both', ...visitor }, cycle),
  ]);

const relay = (visitor: Record<string, unknown> = {}) =>
  device('relay', 'gpio', {}, [
    { ...property('ch1', 'BOOLEAN', { pin: 26, direction: 'out', ...visitor }), accessMode: 'ReadWrite' as const },
  ]);

const values = () => ctx.calls.flatMap((c) => c.readings.map((r) => r.value));

describe('GPIO driver: chip', () => {
  it('takes pins as line offsets of the configured chip; an unknown chip makes the device offline with the reason', async () => {
    await setUp();
    await driver.addDevice(
      device('pir', 'gpio', { chip: 'gpiochip0' }, [
        property('motion', 'BOOLEAN', { pin: 17, direction: 'in', edge: 'both' }, 1000),
      ]),
    );
    expect(ctx.states).toEqual([{ device: 'default/pir', state: 'online' }]);
    sim.setLevel(17, 1);
    await flush();
    expect(values()).toEqual([true]);
    await driver.addDevice(
      device('far', 'gpio', { chip: 'gpiochip3' }, [property('motion', 'BOOLEAN', { pin: 4, direction: 'in' }, 1000)]),
    );
    expect(ctx.states.at(-1)).toMatchObject({
      device: 'default/far',
      state: 'offline',
      reason: expect.stringMatching(/GPIO chip gpiochip3 not found; this machine has: gpiochip0 \(kedge-sim/),
    });
  });
});

describe('GPIO driver: inputs', () => {
  it('reports each edge at once (both)', async () => {
    await setUp();
    await driver.addDevice(pir());
    expect(ctx.states).toEqual([{ device: 'default/pir', state: 'online' }]);
    sim.setLevel(17, 1);
    sim.setLevel(17, 0);
    await flush();
    expect(values()).toEqual([true, false]);
  });

  it('edge rising reports only rising edges; falling only falling', async () => {
    await setUp();
    await driver.addDevice(pir({ edge: 'rising' }));
    for (const l of [1, 0, 1, 0] as const) sim.setLevel(17, l);
    await flush();
    expect(values()).toEqual([true, true]);
    await driver.removeDevice('default/pir');
    ctx.calls.length = 0;
    await driver.addDevice(pir({ edge: 'falling' }));
    for (const l of [1, 0, 1, 0] as const) sim.setLevel(17, l);
    await flush();
    expect(values()).toEqual([false, false]);
  });

  it('debounce: a bouncing contact reports once, after the level held for debounceMs', async () => {
    await setUp();
    await driver.addDevice(pir({ debounceMs: 50 }));
    for (const l of [1, 0, 1] as const) {
      sim.setLevel(17, l);
      ctx.clock.advance(10);
    }
    await flush();
    expect(values()).toEqual([]);
    ctx.clock.advance(40);
    await flush();
    expect(values()).toEqual([true]);
  });

  it('debounce: a glitch shorter than debounceMs is not reported', async () => {
    await setUp();
    await driver.addDevice(pir({ debounceMs: 50 }));
    sim.setLevel(17, 1);
    ctx.clock.advance(5);
    sim.setLevel(17, 0);
    ctx.clock.advance(100);
    await flush();
    expect(values()).toEqual([]);
  });

  it('heartbeat: every property read and reported at its collect cycle, edges or not', async () => {
    await setUp();
    await driver.addDevice(
      device('panel', 'gpio', {}, [
        property('door', 'BOOLEAN', { pin: 5, direction: 'in' }, 500),
        property('count', 'INT', { pin: 6, direction: 'in' }, 500),
      ]),
    );
    sim.setLevel(6, 1);
    await flush();
    expect(ctx.calls).toEqual([]); // edge none: no interrupt reports
    ctx.clock.advance(500);
    await flush();
    expect(ctx.calls).toHaveLength(1);
    expect(ctx.calls[0]!.readings.map((r) => [r.property, r.value, r.quality])).toEqual([
      ['door', false, 'good'],
      ['count', 1, 'good'],
    ]);
    ctx.clock.advance(500);
    await flush();
    expect(ctx.calls).toHaveLength(2);
  });

  it('activeLow input: a low pin reads true and its falling physical edge is a logical rising edge', async () => {
    await setUp();
    sim.setLevel(17, 1);
    await driver.addDevice(pir({ activeLow: true, edge: 'rising' }));
    sim.setLevel(17, 0);
    await flush();
    expect(values()).toEqual([true]);
  });
});

describe('GPIO driver: outputs', () => {
  it('write with read-back; activeLow drives the pin low for true', async () => {
    await setUp();
    await driver.addDevice(relay({ activeLow: true }));
    const reading = await driver.write('default/relay', 'ch1', true);
    expect(reading).toMatchObject({ property: 'ch1', value: true, quality: 'good' });
    expect(sim.level(26)).toBe(0);
    await driver.write('default/relay', 'ch1', false);
    expect(sim.level(26)).toBe(1);
  });

  it('loopback: an output jumpered to an input is read back and reported by the input', async () => {
    await setUp();
    sim.jumper(26, 17);
    await driver.addDevice(relay());
    await driver.addDevice(pir());
    await driver.write('default/relay', 'ch1', 1);
    await flush();
    expect(ctx.calls.find((c) => c.device === 'default/pir')!.readings[0]).toMatchObject({
      property: 'motion',
      value: true,
    });
    await driver.write('default/relay', 'ch1', 'false');
    await flush();
    expect(ctx.calls.filter((c) => c.device === 'default/pir').map((c) => c.readings[0]!.value)).toEqual([true, false]);
  });

  it('refuses to write an input or a value that is not a level', async () => {
    await setUp();
    await driver.addDevice(pir());
    await driver.addDevice(relay());
    await expect(driver.write('default/pir', 'motion', true)).rejects.toThrow(/GPIO 17 is an input/);
    await expect(driver.write('default/relay', 'ch1', 7)).rejects.toThrow(/7 is not a pin level/);
  });
});

describe('GPIO driver: no GPIO, broken pins, backend choice', () => {
  it('GPIO not accessible: every device offline with the reason, logged once, no crash', async () => {
    const lines: string[] = [];
    ctx = recordingContext();
    ctx.logger = pino(
      { level: 'error' },
      new Writable({
        write: (c: Buffer, _e, done) => {
          lines.push(c.toString());
          done();
        },
      }),
    );
    driver = createDriver(ctx, { backend: inaccessibleBackend });
    await driver.start();
    await driver.addDevice(pir());
    await driver.addDevice(relay());
    expect(ctx.states).toEqual([
      { device: 'default/pir', state: 'offline', reason: NOT_ACCESSIBLE_REASON },
      { device: 'default/relay', state: 'offline', reason: NOT_ACCESSIBLE_REASON },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/GPIO not accessible on this machine \(no \/sys\/class\/gpio\)/);
    const err = await driver.write('default/relay', 'ch1', true).catch((e: unknown) => e);
    expect(isKedgeError(err) && err.code).toBe('KEDGE_GPIO_NOT_ACCESSIBLE');
  });

  it('a pin that cannot be opened: offline with the reason, retried at the next cycle', async () => {
    let fail = true;
    const flaky = new SimGpioBackend();
    const backend: GpioBackend = {
      name: 'flaky',
      accessible: true,
      open: (pin, o) => (fail ? Promise.reject(new Error('EBUSY')) : flaky.open(pin, o)),
      dispose: async () => undefined,
    };
    await setUp(backend);
    await driver.addDevice(pir());
    expect(ctx.states.at(-1)).toEqual({
      device: 'default/pir',
      state: 'offline',
      reason: 'cannot open GPIO 17 (motion): EBUSY',
    });
    fail = false;
    ctx.clock.advance(1000);
    await flush();
    expect(ctx.states.at(-1)).toEqual({ device: 'default/pir', state: 'online' });
    expect(ctx.calls.at(-1)!.readings[0]).toMatchObject({ quality: 'good', value: false });
  });

  it('KEDGE_GPIO_BACKEND: sysfs (default) on this machine has no GPIO; a bad name fails start', async () => {
    await setUp(undefined, { backend: undefined, env: {} });
    await driver.addDevice(pir());
    expect(ctx.states).toEqual([{ device: 'default/pir', state: 'offline', reason: NOT_ACCESSIBLE_REASON }]);
    const bad = createDriver(ctx, { env: { KEDGE_GPIO_BACKEND: 'wiringpi' } });
    await expect(bad.start()).rejects.toThrow(/KEDGE_GPIO_BACKEND=wiringpi is not a GPIO backend/);
  });

  it('KEDGE_GPIO_BACKEND=sim with KEDGE_GPIO_SIM: pins shared with a sim server over its socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-gpio-'));
    const server = new GpioSimServer({ socketPath: join(dir, 'gpio.sock') });
    await server.start();
    try {
      await setUp(undefined, {
        backend: undefined,
        env: { KEDGE_GPIO_BACKEND: 'sim', KEDGE_GPIO_SIM: join(dir, 'gpio.sock') },
      });
      await driver.addDevice(pir());
      await driver.addDevice(relay());
      const client = await SimClient.connect(join(dir, 'gpio.sock'));
      expect(await client.toggle(17)).toBe(1);
      await waitFor(() => values().length >= 1);
      expect(values()).toEqual([true]);
      await driver.write('default/relay', 'ch1', true);
      expect(await client.get(26)).toBe(1);
      await client.dispose();
      await driver.stop();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}
