import { afterEach, describe, expect, it } from 'vitest';
import { decodeRegisters } from '../codec.js';
import { LineQueue } from '../line-queue.js';
import { ModbusTransport } from '../transport.js';
import { openPtyPair, type PtyPair } from './pty-pair.js';
import { ModbusSim } from './server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Timeouts are generous: on a loaded 2-core machine a live unit's answer over the pty can take
// a few hundred ms, and a live unit timing out is not what these tests check.
async function rtuLine(sim: ModbusSim, timeoutMs = 2000) {
  const pty: PtyPair = await openPtyPair();
  cleanups.push(() => pty.close());
  await sim.openSerial(pty.a, { baudRate: 19200 });
  cleanups.push(() => sim.stop());
  const transport = new ModbusTransport({ mode: 'RTU', path: pty.b, baudRate: 19200, parity: 'none', timeoutMs });
  await transport.start();
  cleanups.push(() => transport.stop());
  return transport;
}

describe('RTU over a socat pseudo-terminal pair', () => {
  it('several slaves share one line; values, writes and exceptions come through', async () => {
    const sim = new ModbusSim({
      points: [
        {
          unit: 1,
          table: 'HoldingRegister',
          offset: 0,
          rawType: 'float32',
          byteOrder: 'DCBA',
          generator: { kind: 'constant', value: 21.5 },
        },
        {
          unit: 2,
          table: 'InputRegister',
          offset: 3,
          rawType: 'int32',
          generator: { kind: 'constant', value: -123456 },
        },
        { unit: 3, table: 'CoilRegister', offset: 0, rawType: 'bool', generator: { kind: 'constant', value: true } },
      ],
    });
    const t = await rtuLine(sim);
    expect(decodeRegisters(await t.readHoldingRegisters(1, 0, 2), { rawType: 'float32', byteOrder: 'DCBA' })).toBe(
      21.5,
    );
    expect(decodeRegisters(await t.readInputRegisters(2, 3, 2), { rawType: 'int32' })).toBe(-123456);
    expect(await t.readCoils(3, 0, 1)).toEqual([true]);
    await t.writeRegisters(1, 10, [1, 2, 3]);
    await t.writeCoil(3, 1, true);
    expect(await t.readHoldingRegisters(1, 10, 3)).toEqual([1, 2, 3]);
    expect(await t.readCoils(3, 0, 2)).toEqual([true, true]);

    sim.setFaults({ exceptionRate: 1, exceptionCode: 6 }, 2);
    await expect(t.readInputRegisters(2, 3, 2)).rejects.toThrow('exception 6 (Server Device Busy)');
    expect(sim.counts()).toEqual({ 1: { 3: 2, 16: 1 }, 2: { 4: 2 }, 3: { 1: 2, 5: 1 } });
  });

  it('a dead slave is backed off by the line queue while the live ones keep being polled', async () => {
    const sim = new ModbusSim({ units: [1, 2, 3, 4] });
    sim.setFaults({ dead: true }, 4);
    const t = await rtuLine(sim);
    const queue = new LineQueue('rtu-test', {
      rtu: { baudRate: 19200 },
      timeoutMs: 2500,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    cleanups.push(async () => queue.stop());
    const outcomes = new Map<number, string[]>();
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        [1, 2, 3, 4].map((unit) =>
          queue
            .submit(unit, () => t.readHoldingRegisters(unit, 0, 1))
            .then(
              () => 'ok',
              (e: { code?: string }) => e.code ?? 'error',
            )
            .then((o) => outcomes.set(unit, [...(outcomes.get(unit) ?? []), o])),
        ),
      );
    }
    for (const unit of [1, 2, 3]) expect(outcomes.get(unit)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(outcomes.get(4)).toEqual(['KEDGE_MODBUS_TIMEOUT', ...Array(4).fill('KEDGE_MODBUS_DEVICE_BACKOFF')]);
    expect(queue.health(4).online).toBe(false);
    // the dead unit occupied the line exactly once
    expect(sim.counts()[4]).toEqual({ 3: 1 });
  });
});
