import { afterEach, describe, expect, it } from 'vitest';
import { decodeRegisters } from '../codec.js';
import { ModbusTransport } from '../transport.js';
import { ModbusSim } from './server.js';
import type { SimPoint } from './points.js';

const points: SimPoint[] = [
  { unit: 1, table: 'HoldingRegister', offset: 0, rawType: 'float32', generator: { kind: 'constant', value: 123.456 } },
  {
    unit: 1,
    table: 'HoldingRegister',
    offset: 2,
    rawType: 'int16',
    scale: 0.1,
    generator: { kind: 'constant', value: -12.3 },
  },
  {
    unit: 1,
    table: 'InputRegister',
    offset: 100,
    rawType: 'string',
    stringRegisters: 4,
    generator: { kind: 'constant', value: 'PUMP-7' },
  },
  { unit: 1, table: 'CoilRegister', offset: 5, rawType: 'bool', generator: { kind: 'constant', value: true } },
  { unit: 1, table: 'DiscreteInputRegister', offset: 1, rawType: 'bool', generator: { kind: 'constant', value: true } },
  {
    unit: 2,
    table: 'HoldingRegister',
    offset: 0,
    rawType: 'uint32',
    byteOrder: 'CDAB',
    generator: { kind: 'constant', value: 70000 },
  },
  {
    unit: 2,
    table: 'InputRegister',
    offset: 0,
    rawType: 'uint16',
    generator: { kind: 'ramp', min: 0, max: 1000, periodMs: 60_000 },
  },
];

let sim: ModbusSim | undefined;
let transport: ModbusTransport | undefined;
afterEach(async () => {
  await transport?.stop();
  await sim?.stop();
  transport = undefined;
  sim = undefined;
});

async function setup(framing: 'mbap' | 'rtu' = 'mbap', timeoutMs = 300) {
  sim = new ModbusSim({ points, seed: 3 });
  const { host, port } = await sim.listenTcp({ framing });
  transport = new ModbusTransport({ mode: framing === 'mbap' ? 'TCP' : 'RTUOverTCP', host, port, timeoutMs });
  await transport.start();
  return { sim, transport };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? 'no code',
  );

describe('simulator over Modbus TCP, read with the transport', () => {
  it('serves typed points from several units and all four tables', async () => {
    const { transport: t } = await setup();
    expect(decodeRegisters(await t.readHoldingRegisters(1, 0, 2), { rawType: 'float32' })).toBeCloseTo(123.456, 4);
    expect(decodeRegisters(await t.readHoldingRegisters(1, 2, 1), { rawType: 'int16', scale: 0.1 })).toBeCloseTo(
      -12.3,
      9,
    );
    expect(decodeRegisters(await t.readInputRegisters(1, 100, 4), { rawType: 'string', stringRegisters: 4 })).toBe(
      'PUMP-7',
    );
    expect(await t.readCoils(1, 4, 3)).toEqual([false, true, false]);
    expect(await t.readDiscreteInputs(1, 1, 1)).toEqual([true]);
    expect(decodeRegisters(await t.readHoldingRegisters(2, 0, 2), { rawType: 'uint32', byteOrder: 'CDAB' })).toBe(
      70000,
    );
    const ramp = (await t.readInputRegisters(2, 0, 1))[0]!;
    expect(ramp).toBeGreaterThanOrEqual(0);
    expect(ramp).toBeLessThanOrEqual(1000);
  });

  it('writes with FC5, FC6, FC15, FC16 and reads them back', async () => {
    const { transport: t } = await setup();
    await t.writeCoil(1, 20, true);
    await t.writeCoils(1, 30, [true, false, true]);
    await t.writeRegister(1, 40, 0xbeef);
    await t.writeRegisters(1, 50, [1, 2, 3]);
    expect(await t.readCoils(1, 20, 1)).toEqual([true]);
    expect(await t.readCoils(1, 30, 3)).toEqual([true, false, true]);
    expect(await t.readHoldingRegisters(1, 40, 1)).toEqual([0xbeef]);
    expect(await t.readHoldingRegisters(1, 50, 3)).toEqual([1, 2, 3]);
    // a written constant point keeps its new value, like a real setpoint
    await t.writeRegister(1, 2, 55);
    expect(await t.readHoldingRegisters(1, 2, 1)).toEqual([55]);
  });

  it('counts every request by unit and function code', async () => {
    const { sim: s, transport: t } = await setup();
    await t.readHoldingRegisters(1, 0, 2);
    await t.readHoldingRegisters(1, 0, 2);
    await t.readInputRegisters(2, 0, 1);
    await t.writeRegister(2, 9, 1);
    expect(s.counts()).toEqual({ 1: { 3: 2 }, 2: { 4: 1, 6: 1 } });
    s.resetCounts();
    expect(s.counts()).toEqual({});
  });

  it('injected exceptions arrive as KEDGE_MODBUS_EXCEPTION naming unit, address and exception', async () => {
    const { sim: s, transport: t } = await setup();
    s.setFaults({ exceptionRate: 1, exceptionCode: 2 }, 1);
    const err = (await t.readHoldingRegisters(1, 7, 2).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({
      code: 'KEDGE_MODBUS_EXCEPTION',
      detail: { exceptionCode: 2, exceptionName: 'Illegal Data Address', unit: 1, address: 7 },
    });
    expect((err as Error).message).toContain('exception 2 (Illegal Data Address)');
    expect((err as Error).message).toContain('unit 1 FC3 address 7');
    // unit 2 is unaffected
    await expect(t.readInputRegisters(2, 0, 1)).resolves.toHaveLength(1);
  });

  it('a dead unit times out while its neighbour answers; the connection survives', async () => {
    const { sim: s, transport: t } = await setup('mbap', 200);
    s.setFaults({ dead: true }, 2);
    expect(await codeOf(t.readInputRegisters(2, 0, 1))).toBe('KEDGE_MODBUS_TIMEOUT');
    await expect(t.readHoldingRegisters(1, 0, 2)).resolves.toHaveLength(2);
    s.clearFaults();
    await expect(t.readInputRegisters(2, 0, 1)).resolves.toHaveLength(1);
  });

  it('timeoutRate drops about that share of requests (seeded, so exact per seed)', async () => {
    const { sim: s, transport: t } = await setup('mbap', 100);
    s.setFaults({ timeoutRate: 0.5 });
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await codeOf(t.readHoldingRegisters(1, 0, 1)));
    const timeouts = outcomes.filter((o) => o === 'KEDGE_MODBUS_TIMEOUT').length;
    expect(timeouts).toBeGreaterThan(2);
    expect(timeouts).toBeLessThan(18);
    expect(outcomes.every((o) => o === 'resolved' || o === 'KEDGE_MODBUS_TIMEOUT')).toBe(true);
  });

  it('swapped words turn 123.456 into garbage unless the reader uses CDAB', async () => {
    const { sim: s, transport: t } = await setup();
    s.setFaults({ swapWords: true }, 1);
    const regs = await t.readHoldingRegisters(1, 0, 2);
    expect(decodeRegisters(regs, { rawType: 'float32' })).not.toBeCloseTo(123.456, 2);
    expect(decodeRegisters(regs, { rawType: 'float32', byteOrder: 'CDAB' })).toBeCloseTo(123.456, 4);
  });

  it('slow responses beyond the timeout are timeouts; late answers are not mistaken for the next one', async () => {
    const { sim: s, transport: t } = await setup('mbap', 100);
    s.setFaults({ delayMs: 250 }, 2);
    expect(await codeOf(t.readHoldingRegisters(2, 0, 2))).toBe('KEDGE_MODBUS_TIMEOUT');
    s.clearFaults();
    await new Promise((r) => setTimeout(r, 300)); // let the late answer arrive while nothing waits for it
    expect(decodeRegisters(await t.readHoldingRegisters(1, 0, 2), { rawType: 'float32' })).toBeCloseTo(123.456, 4);
  });

  it('an unknown unit behind TCP gets exception 11 like a gateway', async () => {
    const { transport: t } = await setup();
    const err = await t
      .readHoldingRegisters(42, 0, 1)
      .catch((e: unknown) => e as { code: string; detail: Record<string, unknown> });
    expect(err).toMatchObject({ code: 'KEDGE_MODBUS_EXCEPTION', detail: { exceptionCode: 11 } });
  });

  it('strictAddresses answers exception 2 to any request touching an unmodeled address, and counts it', async () => {
    const { sim: s, transport: t } = await setup();
    s.setFaults({ strictAddresses: true }, 1);
    // registers 0..2 are modeled (float32 + int16); 3 is not
    await expect(t.readHoldingRegisters(1, 0, 3)).resolves.toHaveLength(3);
    const err = await t
      .readHoldingRegisters(1, 0, 4)
      .catch((e: unknown) => e as { code: string; detail: Record<string, unknown> });
    expect(err).toMatchObject({ code: 'KEDGE_MODBUS_EXCEPTION', detail: { exceptionCode: 2 } });
    expect(await codeOf(t.writeRegister(1, 3, 1))).toBe('KEDGE_MODBUS_EXCEPTION');
    expect(await codeOf(t.readCoils(1, 5, 1))).toBe('resolved');
    expect(await codeOf(t.readCoils(1, 5, 2))).toBe('KEDGE_MODBUS_EXCEPTION');
    expect(s.counts()[1]).toEqual({ 1: 2, 3: 2, 6: 1 });
    // unit 2 has no strict flag: its unmodeled registers read as zeros
    await expect(t.readHoldingRegisters(2, 100, 2)).resolves.toEqual([0, 0]);
  });

  it('RTU over TCP framing works the same', async () => {
    const { sim: s, transport: t } = await setup('rtu', 200);
    expect(decodeRegisters(await t.readHoldingRegisters(1, 0, 2), { rawType: 'float32' })).toBeCloseTo(123.456, 4);
    await t.writeRegisters(1, 60, [9, 8]);
    expect(await t.readHoldingRegisters(1, 60, 2)).toEqual([9, 8]);
    s.setFaults({ exceptionRate: 1, exceptionCode: 3 });
    expect(await codeOf(t.readHoldingRegisters(1, 0, 2))).toBe('KEDGE_MODBUS_EXCEPTION');
    s.setFaults({ dead: true }, 2);
    s.setFaults({}, undefined);
    expect(await codeOf(t.readHoldingRegisters(2, 0, 2))).toBe('KEDGE_MODBUS_TIMEOUT');
    await expect(t.readHoldingRegisters(1, 0, 2)).resolves.toHaveLength(2);
  });
});
