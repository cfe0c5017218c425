/**
 * Writes of several properties in one twin delta: adjacent coils go out as one FC15 and adjacent
 * holding registers as one FC16, each run read back with one read; every property still gets its
 * own write result. Counted by function code in the simulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type WriteResult } from '../../src/contracts/index.js';
import { ModbusSim, type SimPoint } from '../../mappers/modbus/sim/index.js';
import { startAedes, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, deviceSet, modbusDevice, prop, publishSet, startMapper } from './harness.js';

const cleanup = new Cleanup();
let broker: TestBroker;
let client: TestClient;
let sim: ModbusSim;
let endpoint: { host: string; port: number };

beforeEach(async () => {
  broker = await startAedes();
  cleanup.add(() => broker.close());
  client = await TestClient.connect(broker.url, [edgeFilters.dataRaw, edgeFilters.writeResult]);
  cleanup.add(() => client.close());
  sim = new ModbusSim({ units: [1] });
  endpoint = await sim.listenTcp();
  cleanup.add(() => sim.stop());
});
afterEach(() => cleanup.run());

const coilPoint = (offset: number): SimPoint => ({
  unit: 1,
  table: 'CoilRegister',
  offset,
  rawType: 'bool',
  generator: { kind: 'constant', value: false },
});
const regPoint = (offset: number): SimPoint => ({
  unit: 1,
  table: 'HoldingRegister',
  offset,
  rawType: 'uint16',
  generator: { kind: 'constant', value: 0 },
});
// Polled once at start only, so the counts after that are the writes and their read-backs.
const rw = { accessMode: 'ReadWrite' as const, collectCycleMs: 600_000 };
const coilProp = (name: string, offset: number) => prop(name, 'BOOLEAN', { register: 'CoilRegister', offset }, rw);
const regProp = (name: string, offset: number) =>
  prop(name, 'INT', { register: 'HoldingRegister', offset, rawType: 'uint16' }, rw);

/** Starts a mapper on `properties`, waits for the first poll, clears the counters; returns a delta sender and result waiter. */
async function serve(name: string, properties: ReturnType<typeof prop>[]) {
  const device = modbusDevice(
    name,
    { communicateMode: 'TCP', ip: endpoint.host, port: endpoint.port, slaveID: 1 },
    properties,
  );
  const m = await startMapper(broker.url);
  cleanup.add(() => m.stop());
  await publishSet(client, deviceSet(1, [device]));
  await client.waitFor<RawData>(edgeTopics.dataRaw(device.id));
  sim.resetCounts();
  const topic = edgeTopics.writeResult(device.id);
  return {
    send: (values: Record<string, string>) =>
      client.publish(edgeTopics.twinUpdateDelta(device.id), {
        event_id: 'e',
        timestamp: Date.now(),
        twin: {},
        delta: values,
      }),
    results: async (n: number) => {
      await client.waitFor<WriteResult>(topic, () => client.messages(topic).length >= n);
      return Object.fromEntries(client.payloads<WriteResult>(topic).map((w) => [w.property, w]));
    },
  };
}

describe('Modbus writes of one twin delta', () => {
  it('adjacent coils -> one FC15 and one read-back, adjacent registers -> one FC16, a lone coil stays FC5', async () => {
    sim.addPoints([coilPoint(10), coilPoint(11), coilPoint(12), coilPoint(20), regPoint(100), regPoint(101)]);
    const d = await serve('batch', [
      coilProp('c10', 10),
      coilProp('c11', 11),
      coilProp('c12', 12),
      coilProp('lone', 20),
      regProp('a', 100),
      regProp('b', 101),
    ]);
    await d.send({ c12: 'true', c10: 'true', c11: 'false', lone: 'true', a: '5', b: '6' });
    const r = await d.results(6);
    expect(
      Object.fromEntries(Object.entries(r).map(([k, w]) => [k, [w.ok, w.readBack?.value, w.readBack?.quality]])),
    ).toEqual({
      c10: [true, true, 'good'],
      c11: [true, false, 'good'],
      c12: [true, true, 'good'],
      lone: [true, true, 'good'],
      a: [true, 5, 'good'],
      b: [true, 6, 'good'],
    });
    expect(sim.memory(1).readBits('CoilRegister', 10, 3)).toEqual([true, false, true]);
    expect(sim.memory(1).readRegisters('HoldingRegister', 100, 2)).toEqual([5, 6]);
    // FC15 once for 10..12, FC5 for 20, FC16 once for 100..101; read-backs: FC1 for 10..12 and for 20, FC3 for 100..101.
    expect(sim.counts()[1]).toEqual({ 15: 1, 5: 1, 16: 1, 1: 2, 3: 1 });
  });

  it('a merged write refused with exception 2 is retried per coil; only the unimplemented one fails, with the exception named', async () => {
    sim.addPoints([coilPoint(30), coilPoint(31)]);
    sim.setFaults({ strictAddresses: true });
    const d = await serve('strict-write', [coilProp('c30', 30), coilProp('c31', 31), coilProp('c32', 32)]);
    await d.send({ c30: 'true', c31: 'true', c32: 'true' });
    const r = await d.results(3);
    expect(r.c30).toMatchObject({ ok: true, readBack: { value: true } });
    expect(r.c31).toMatchObject({ ok: true, readBack: { value: true } });
    expect(r.c32!.ok).toBe(false);
    expect(r.c32!.reason).toContain('exception 2 (Illegal Data Address)');
    expect(r.c32!.reason).toContain('property c32');
    expect(sim.counts()[1]).toEqual({ 15: 1, 5: 3, 1: 2 });
  });

  it('any other exception fails every property of the merged write, each naming it, without a retry', async () => {
    sim.addPoints([regPoint(100), regPoint(101)]);
    const d = await serve('busy', [regProp('a', 100), regProp('b', 101)]);
    sim.setFaults({ exceptionRate: 1, exceptionCode: 6 });
    await d.send({ a: '1', b: '2' });
    const r = await d.results(2);
    for (const w of [r.a!, r.b!]) {
      expect(w.ok).toBe(false);
      expect(w.reason).toContain('exception 6 (Server Device Busy)');
    }
    expect(sim.counts()[1]).toEqual({ 16: 1 });
  });
});
