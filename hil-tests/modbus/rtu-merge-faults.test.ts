/**
 * The merged-request paths over RTU on a socat pseudo-terminal pair (CRC framing, one request at a
 * time on the line): a strict device refuses the gap-bridging read once and is read in pieces from
 * then on, and a delta's adjacent coils go out as one FC15 with one read-back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type WriteResult } from '../../src/contracts/index.js';
import { ModbusSim, openPtyPair, type PtyPair } from '../../mappers/modbus/sim/index.js';
import { startAedes, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, counterValue, deviceSet, modbusDevice, prop, publishSet, startMapper } from './harness.js';

const cleanup = new Cleanup();
let broker: TestBroker;
let client: TestClient;
let sim: ModbusSim;
let pty: PtyPair;

beforeEach(async () => {
  broker = await startAedes();
  cleanup.add(() => broker.close());
  client = await TestClient.connect(broker.url, [
    edgeFilters.dataRaw,
    edgeFilters.writeResult,
    edgeFilters.mapperStatus,
  ]);
  cleanup.add(() => client.close());
  pty = await openPtyPair();
  cleanup.add(() => pty.close());
  sim = new ModbusSim({ units: [5] });
  await sim.openSerial(pty.a, { baudRate: 19200 });
  cleanup.add(() => sim.stop());
});
afterEach(() => cleanup.run());

describe('Modbus RTU: split reads and FC15 writes', () => {
  it('recovers a strict device after one split and writes adjacent coils with one FC15', async () => {
    sim.addPoints([
      { unit: 5, table: 'InputRegister', offset: 0, rawType: 'int16', generator: { kind: 'constant', value: -4 } },
      { unit: 5, table: 'InputRegister', offset: 5, rawType: 'uint16', generator: { kind: 'constant', value: 99 } },
      { unit: 5, table: 'CoilRegister', offset: 0, rawType: 'bool', generator: { kind: 'constant', value: false } },
      { unit: 5, table: 'CoilRegister', offset: 1, rawType: 'bool', generator: { kind: 'constant', value: false } },
    ]);
    sim.setFaults({ strictAddresses: true });
    const rw = { accessMode: 'ReadWrite' as const, collectCycleMs: 200 };
    const device = modbusDevice(
      'rtu-strict',
      { communicateMode: 'RTU', serialPort: pty.b, baudRate: 19200, parity: 'none', slaveID: 5, timeoutMs: 300 },
      [
        prop('low', 'INT', { register: 'InputRegister', offset: 0, rawType: 'int16' }, { collectCycleMs: 200 }),
        prop('high', 'INT', { register: 'InputRegister', offset: 5, rawType: 'uint16' }, { collectCycleMs: 200 }),
        prop('relay1', 'BOOLEAN', { register: 'CoilRegister', offset: 0 }, rw),
        prop('relay2', 'BOOLEAN', { register: 'CoilRegister', offset: 1 }, rw),
      ],
    );
    const m = await startMapper(broker.url);
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, [device]));
    const topic = edgeTopics.dataRaw(device.id);
    // The first complete good poll (on a loaded machine one poll may time out at 300 ms first).
    const first = await client.waitFor<RawData>(
      topic,
      (u) => u.readings.length === 4 && u.readings.every((r) => r.quality === 'good'),
    );
    expect(Object.fromEntries(first.readings.map((r) => [r.property, r.value]))).toEqual({
      low: -4,
      high: 99,
      relay1: false,
      relay2: false,
    });

    const before = sim.counts()[5] ?? {};
    await client.publish(edgeTopics.twinUpdateDelta(device.id), {
      event_id: 'e',
      timestamp: Date.now(),
      twin: {},
      delta: { relay1: 'true', relay2: 'true' },
    });
    const results = edgeTopics.writeResult(device.id);
    await client.waitFor<WriteResult>(results, () => client.messages(results).length >= 2);
    expect(client.payloads<WriteResult>(results).map((w) => [w.property, w.ok, w.readBack?.value])).toEqual([
      ['relay1', true, true],
      ['relay2', true, true],
    ]);
    expect(sim.memory(5).readBits('CoilRegister', 0, 2)).toEqual([true, true]);
    expect((sim.counts()[5]![15] ?? 0) - (before[15] ?? 0)).toBe(1);
    expect(sim.counts()[5]![5]).toBeUndefined();

    await client.waitFor<RawData>(topic, () => client.messages(topic).length >= 4);
    await m.stop();
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), (s: { state?: string }) => s.state === 'offline');
    // Only the first merged read of input registers 0..5 was refused; everything after answered.
    expect(await counterValue(m.metrics, 'kedge_modbus_requests_total', { outcome: 'KEDGE_MODBUS_EXCEPTION' })).toBe(1);
    const bad = client
      .payloads<RawData>(topic)
      .flatMap((u) => u.readings)
      .filter((r) => r.quality !== 'good');
    expect(bad).toEqual([]);
  });
});
