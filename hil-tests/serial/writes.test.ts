/**
 * Serial writes over a socat pty pair against the simulator: writeCommand with {value}, writeAck,
 * the read-back in request and stream mode, and a write the device never confirms.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isKedgeError } from '../../src/core/errors/index.js';
import { startSerialSim } from '../../mappers/serial/sim/index.js';
import { recorder, serialDevices, startDriver, waitUntil } from './harness.js';
import { createPtyPair } from './pty.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** An ASCII controller: a setpoint confirmed with OK, a heater switch that answers nothing. */
function controllerYaml(mode: 'request' | 'stream'): string {
  const visitor = (command: string, pattern: string, write: string, writeAck?: string) =>
    JSON.stringify({
      ...(mode === 'request' ? { command } : {}),
      pattern,
      writeCommand: write,
      ...(writeAck ? { writeAck } : {}),
    });
  return `apiVersion: devices.kubeedge.io/v1beta1
kind: DeviceModel
metadata: { name: ascii-controller, namespace: default }
spec:
  protocol: serial
  properties:
    - { name: setpoint, type: FLOAT, accessMode: ReadWrite, minimum: "0", maximum: "100" }
    - { name: heater, type: BOOLEAN, accessMode: ReadWrite }
---
apiVersion: devices.kubeedge.io/v1beta1
kind: Device
metadata: { name: controller-1, namespace: default }
spec:
  deviceModelRef: { name: ascii-controller }
  protocol:
    protocolName: serial
    configData: { serialPort: /dev/null, mode: ${mode} }
  properties:
    - name: setpoint
      collectCycle: 200
      visitors: { protocolName: serial, configData: ${visitor('SP?\\r', 'SP=(\\d+(?:\\.\\d+)?)', 'SP {value}\\r', '^OK')} }
    - name: heater
      collectCycle: 200
      visitors: { protocolName: serial, configData: ${visitor('HT?\\r', 'HT=([01])', 'HT {value}\\r')} }
`;
}

async function controller(mode: 'request' | 'stream') {
  const dir = await mkdtemp(join(tmpdir(), 'kedge-serial-write-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'controller.yaml');
  await writeFile(file, controllerYaml(mode));
  const pair = await createPtyPair();
  cleanups.push(() => pair.cleanup());
  const sim = await startSerialSim({ path: pair.a, modelFiles: [file], intervalMs: 100, seed: 3 });
  cleanups.push(() => sim.stop());
  const ctx = recorder();
  const driver = await startDriver(ctx, { responseTimeoutMs: 500 });
  cleanups.push(() => driver.stop());
  const [device] = await serialDevices(file, pair.b);
  await driver.addDevice(device!);
  // A write to a port that is not open yet fails at once (with that reason): wait for it.
  await waitUntil('the port open', () => ctx.states.some((s) => s.device === device!.id && s.state === 'online'));
  return { ctx, driver, id: device!.id };
}

describe('serial writes against the simulator over a socat pty pair', () => {
  it('request mode: writes with {value}, waits for the writeAck, reads the value back; later polls read it too', async () => {
    const { ctx, driver, id } = await controller('request');
    expect(await driver.write(id, 'setpoint', 42.5)).toMatchObject({
      property: 'setpoint',
      value: 42.5,
      quality: 'good',
    });
    expect(await driver.write(id, 'heater', true)).toMatchObject({ property: 'heater', value: true, quality: 'good' });
    expect(await driver.write(id, 'heater', false)).toMatchObject({ value: false, quality: 'good' });
    const seen = ctx.calls.length;
    await new Promise((r) => setTimeout(r, 600));
    const polled = ctx.calls.slice(seen).flatMap((c) => c.readings);
    expect(polled.filter((r) => r.property === 'setpoint').map((r) => r.value)).toContain(42.5);
    expect(polled.filter((r) => r.property === 'heater').every((r) => r.value === false)).toBe(true);
  });

  it('stream mode: the read-back is the next frame carrying the property', async () => {
    const { driver, id } = await controller('stream');
    expect(await driver.write(id, 'setpoint', 12)).toMatchObject({ property: 'setpoint', value: 12, quality: 'good' });
  });

  it('a write the device does not acknowledge fails with the reason', async () => {
    const { driver, id } = await controller('request');
    // The simulated controller sends no OK for a value it cannot take.
    const err = await driver.write(id, 'setpoint', 'warm').catch((e: unknown) => e);
    expect(isKedgeError(err) && err.code).toBe('KEDGE_SERIAL_WRITE_FAILED');
    expect((err as Error).message).toMatch(
      /device default\/controller-1 property setpoint: writing .*SP warm.*: no response to .*SP warm.* within 500 ms/,
    );
    // The line goes on: the next write is acknowledged and read back.
    expect(await driver.write(id, 'setpoint', 30)).toMatchObject({ value: 30, quality: 'good' });
  });
});
