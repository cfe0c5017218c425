/**
 * Merged reads against a device that implements only the registers of its properties (the
 * simulator's strictAddresses): a read bridging a gap gets exception 2, the mapper splits it once,
 * remembers the split, and every modeled property is good from then on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type StateUpdate } from '../../src/contracts/index.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { startAedes, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, counterValue, deviceSet, modbusDevice, prop, publishSet, startMapper } from './harness.js';

const cleanup = new Cleanup();
let broker: TestBroker;
let client: TestClient;
let sim: ModbusSim;
let endpoint: { host: string; port: number };

beforeEach(async () => {
  broker = await startAedes();
  cleanup.add(() => broker.close());
  client = await TestClient.connect(broker.url, [
    edgeFilters.dataRaw,
    edgeFilters.stateUpdate,
    edgeFilters.mapperStatus,
  ]);
  cleanup.add(() => client.close());
  sim = new ModbusSim({ units: [1] });
  endpoint = await sim.listenTcp();
  cleanup.add(() => sim.stop());
});
afterEach(() => cleanup.run());

const hr = (offset: number, rawType: 'float32' | 'uint16', value: number) => ({
  unit: 1,
  table: 'HoldingRegister' as const,
  offset,
  rawType,
  generator: { kind: 'constant' as const, value },
});

describe('Modbus merged reads over unimplemented registers (exception 2)', () => {
  it('splits the refused read once, recovers every modeled property, names the exception for the one that is missing', async () => {
    // Modeled: 0..1 (float32), 2, 6. Register 9 is a property the device does not implement.
    sim.addPoints([hr(0, 'float32', 21.5), hr(2, 'uint16', 7), hr(6, 'uint16', 300)]);
    sim.setFaults({ strictAddresses: true });
    const device = modbusDevice(
      'strict',
      { communicateMode: 'TCP', ip: endpoint.host, port: endpoint.port, slaveID: 1, maxGap: 8 },
      [
        prop('temp', 'FLOAT', { register: 'HoldingRegister', offset: 0, rawType: 'float32' }),
        prop('mode', 'INT', { register: 'HoldingRegister', offset: 2, rawType: 'uint16' }),
        prop('power', 'INT', { register: 'HoldingRegister', offset: 6, rawType: 'uint16' }),
        prop('ghost', 'INT', { register: 'HoldingRegister', offset: 9, rawType: 'uint16' }),
      ],
    );
    const m = await startMapper(broker.url);
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, [device]));
    const topic = edgeTopics.dataRaw(device.id);
    const first = await client.waitFor<RawData>(topic);
    const byName = Object.fromEntries(first.readings.map((r) => [r.property, r]));
    // The very first cycle already carries the values: the pieces are read as soon as the split is made.
    expect(Object.fromEntries(['temp', 'mode', 'power'].map((k) => [k, byName[k]?.value]))).toEqual({
      temp: 21.5,
      mode: 7,
      power: 300,
    });
    expect(byName.ghost).toMatchObject({ value: null, quality: 'bad' });
    expect(byName.ghost!.reason).toContain('exception 2 (Illegal Data Address)');
    expect(byName.ghost!.reason).toContain('address 9 count 1');

    await client.waitFor<RawData>(topic, () => client.messages(topic).length >= 6);
    await m.stop();
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), (s: { state?: string }) => s.state === 'offline');

    // Per cycle after the split: 0..2 and 6 answer, 9 alone is refused. The merged 0..9 was sent once.
    const ok = await counterValue(m.metrics, 'kedge_modbus_requests_total', { outcome: 'ok' });
    const refused = await counterValue(m.metrics, 'kedge_modbus_requests_total', { outcome: 'KEDGE_MODBUS_EXCEPTION' });
    const cycles = ok / 2;
    expect(Number.isInteger(cycles)).toBe(true);
    expect(cycles).toBeGreaterThanOrEqual(6);
    expect(refused).toBe(cycles + 1);
    expect(sim.counts()[1]).toEqual({ 3: ok + refused });
    // An exception is an answer: the device stayed online throughout.
    expect(client.payloads<StateUpdate>(edgeTopics.stateUpdate(device.id)).map((s) => s.state)).toEqual(['online']);
  });

  it('keeps the planner minimum for a device that never refuses', async () => {
    sim.addPoints([hr(0, 'float32', 1.5), hr(6, 'uint16', 3)]);
    const device = modbusDevice(
      'lenient',
      { communicateMode: 'TCP', ip: endpoint.host, port: endpoint.port, slaveID: 1, maxGap: 8 },
      [
        prop('a', 'FLOAT', { register: 'HoldingRegister', offset: 0, rawType: 'float32' }),
        prop('b', 'INT', { register: 'HoldingRegister', offset: 6, rawType: 'uint16' }),
      ],
    );
    const m = await startMapper(broker.url);
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, [device]));
    const topic = edgeTopics.dataRaw(device.id);
    await client.waitFor<RawData>(topic, () => client.messages(topic).length >= 4);
    await m.stop();
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), (s: { state?: string }) => s.state === 'offline');
    const ok = await counterValue(m.metrics, 'kedge_modbus_requests_total', { outcome: 'ok' });
    expect(ok).toBeGreaterThanOrEqual(4);
    expect(await counterValue(m.metrics, 'kedge_modbus_requests_total', { outcome: 'KEDGE_MODBUS_EXCEPTION' })).toBe(0);
    expect(sim.counts()[1]).toEqual({ 3: ok }); // one merged read per cycle, never split
  });
});
