/**
 * The serial driver over real pseudo-terminals (socat) against the simulator: NMEA streaming,
 * request/response, bad frames counted while good ones are read, unplug and replug. With
 * KEDGE_HIL_SERIAL_PATH + KEDGE_HIL_SERIAL_MODEL the readings test runs against that device.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths/index.js';
import { startSerialSim, type SerialSimFaults } from '../../mappers/serial/sim/index.js';
import { counter, hardwareTarget, recorder, serialDevices, startDriver, waitUntil, type Recorder } from './harness.js';
import { createPtyPair } from './pty.js';

const MODELS = join(packageRoot(), 'device-models');
const GPS_MODEL = join(MODELS, 'u-blox-neo-6m.yaml');
const HMP_MODEL = join(MODELS, 'vaisala-hmp240.yaml');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function simulated(model: string, options: { intervalMs?: number; faults?: SerialSimFaults } = {}) {
  const pair = await createPtyPair();
  cleanups.push(() => pair.cleanup());
  const sim = await startSerialSim({
    path: pair.a,
    modelFiles: [model],
    intervalMs: options.intervalMs ?? 100,
    ...(options.faults ? { faults: options.faults } : {}),
    seed: 7,
  });
  cleanups.push(() => sim.stop());
  const ctx = recorder();
  const driver = await startDriver(ctx, { responseTimeoutMs: 500 });
  cleanups.push(() => driver.stop());
  return { pair, sim, ctx, driver, devices: await serialDevices(model, pair.b, 100) };
}

function good(ctx: Recorder, device: string, property: string): number {
  return ctx.calls
    .filter((c) => c.device === device)
    .flatMap((c) => c.readings)
    .filter((r) => r.property === property && r.quality === 'good').length;
}

describe('serial driver against the simulator over a socat pty pair', () => {
  it('GPS: GGA and RMC sentences stream end to end into readings', async () => {
    const { ctx, driver, devices } = await simulated(GPS_MODEL);
    const gps = devices[0]!;
    await driver.addDevice(gps);
    await waitUntil(
      '5 GGA and 5 RMC readings',
      () => good(ctx, gps.id, 'latitude') >= 5 && good(ctx, gps.id, 'fix-status') >= 5,
    );
    const last = (p: string) =>
      ctx.calls
        .flatMap((c) => c.readings)
        .filter((r) => r.property === p)
        .at(-1)!;
    expect(last('latitude').value).toBeCloseTo(37.5663, 2);
    expect(last('longitude').value).toBeCloseTo(126.9779, 2);
    expect(last('satellites').value).toBe(8);
    expect(last('fix-status').value).toBe('A');
    expect(last('speed-knots').value).toBe(3.5);
    // One call per sentence: a call never mixes GGA and RMC properties.
    for (const c of ctx.calls) {
      const names = c.readings.map((r) => r.property);
      expect(names.includes('altitude') && names.includes('course')).toBe(false);
    }
    expect(ctx.states).toContainEqual({ device: gps.id, state: 'online', reason: undefined });
  });

  it('request/response: the HMP240 answers SEND and both properties are read from one answer', async () => {
    const { ctx, sim, driver, devices } = await simulated(HMP_MODEL);
    const hmp = devices[0]!;
    await driver.addDevice(hmp);
    await waitUntil('3 polls', () => ctx.calls.length >= 3);
    for (const c of ctx.calls.slice(0, 3)) {
      expect(c.readings.map((r) => [r.property, r.quality])).toEqual([
        ['temperature', 'good'],
        ['humidity', 'good'],
      ]);
    }
    expect(sim.stats.answers).toBeGreaterThanOrEqual(3);
    expect(
      await counter(ctx.metrics, 'kedge_serial_requests_total', { device: hmp.id, outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('request/response: a device that stays silent gives quality bad with the reason', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.cleanup());
    const ctx = recorder();
    const driver = await startDriver(ctx, { responseTimeoutMs: 200 });
    cleanups.push(() => driver.stop());
    const [hmp] = await serialDevices(HMP_MODEL, pair.b, 100);
    await driver.addDevice(hmp!);
    await waitUntil('a failed poll', () => ctx.calls.length >= 1);
    expect(ctx.calls[0]!.readings[0]).toMatchObject({
      quality: 'bad',
      value: null,
      reason: 'no response to "SEND\\r" within 200 ms',
    });
  });

  it('bad checksums and garbage are counted per device and reason while good sentences are still read', async () => {
    const { ctx, sim, driver, devices } = await simulated(GPS_MODEL, {
      intervalMs: 50,
      faults: { badChecksumRate: 0.3, garbageRate: 0.3 },
    });
    const gps = devices[0]!;
    await driver.addDevice(gps);
    const bad = (reason: string) => counter(ctx.metrics, 'kedge_serial_bad_frames_total', { device: gps.id, reason });
    await waitUntil(
      '3 bad checksums, 3 garbage lines, 10 good fixes',
      async () => (await bad('checksum')) >= 3 && (await bad('garbage')) >= 3 && good(ctx, gps.id, 'latitude') >= 10,
    );
    expect(sim.stats.badChecksums).toBeGreaterThanOrEqual(await bad('checksum'));
    expect(ctx.calls.flatMap((c) => c.readings).every((r) => r.quality === 'good')).toBe(true);
  });

  it('unplug (socat killed): offline with the reason; replug on the same paths: online and reading again', async () => {
    const { pair, ctx, driver, devices } = await simulated(GPS_MODEL);
    const gps = devices[0]!;
    await driver.addDevice(gps);
    await waitUntil('readings before the unplug', () => good(ctx, gps.id, 'latitude') >= 2);
    await pair.unplug();
    await waitUntil('offline', () => ctx.states.at(-1)?.state === 'offline');
    expect(ctx.states.at(-1)!.reason).toMatch(new RegExp(`port ${pair.b} closed`));
    // While the links are gone the driver keeps trying (and failing) to reopen.
    await waitUntil(
      'a failed reopen',
      async () =>
        (await counter(ctx.metrics, 'kedge_serial_port_opens_total', { port: pair.b, outcome: 'failed' })) >= 1,
    );
    expect(ctx.states.at(-1)!.reason).toMatch(/cannot open .*No such file or directory/);
    const before = ctx.calls.length;
    await pair.replug();
    await waitUntil('online again', () => ctx.states.at(-1)?.state === 'online');
    await waitUntil('readings after the replug', () => ctx.calls.length >= before + 4);
    expect(await counter(ctx.metrics, 'kedge_serial_port_opens_total', { port: pair.b, outcome: 'ok' })).toBe(2);
  });
});

const hw = hardwareTarget();

describe(
  hw
    ? `serial hardware at ${hw.path}`
    : 'serial hardware (KEDGE_HIL_SERIAL_PATH unset: the model runs against the simulator)',
  () => {
    it('every property of the model is read good', async () => {
      const ctx = recorder();
      const driver = await startDriver(ctx, { responseTimeoutMs: 2000 });
      cleanups.push(() => driver.stop());
      const devices = hw ? await serialDevices(hw.model, hw.path) : (await simulated(HMP_MODEL)).devices;
      for (const d of devices) await driver.addDevice(d);
      const want = devices.flatMap((d) => d.properties.map((p) => `${d.id} ${p.name}`));
      const seen = () =>
        new Set(
          ctx.calls.flatMap((c) =>
            c.readings.filter((r) => r.quality === 'good').map((r) => `${c.device} ${r.property}`),
          ),
        );
      await waitUntil(`good readings of ${want.join(', ')}`, () => want.every((w) => seen().has(w)), 30_000);
      expect([...seen()].sort()).toEqual(want.sort());
    });
  },
);
