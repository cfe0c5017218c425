/**
 * Modbus TCP end to end: simulator <- mapper (in this process) -> aedes broker -> test client.
 * Byte orders, merged reads, exception codes, writes through a twin delta, device sets changing at
 * run time, bad payloads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  edgeFilters,
  edgeTopics,
  type RawData,
  type StateUpdate,
  type WriteResult,
} from '../../src/contracts/index.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { startAedes, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import {
  Cleanup,
  counterValue,
  deviceSet,
  modbusDevice,
  prop,
  publishSet,
  startMapper,
  type InProcessMapper,
} from './harness.js';

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
    edgeFilters.writeResult,
    edgeFilters.mapperStatus,
  ]);
  cleanup.add(() => client.close());
  sim = new ModbusSim({ units: [1, 2, 3] });
  endpoint = await sim.listenTcp();
  cleanup.add(() => sim.stop());
});
afterEach(() => cleanup.run());

async function mapper(): Promise<InProcessMapper> {
  const m = await startMapper(broker.url);
  cleanup.add(() => m.stop());
  return m;
}

const tcp = (unit: number, extra: Record<string, unknown> = {}) => ({
  communicateMode: 'TCP',
  ip: endpoint.host,
  port: endpoint.port,
  slaveID: unit,
  ...extra,
});
const readingsOf = (u: RawData) => Object.fromEntries(u.readings.map((r) => [r.property, r]));

describe('Modbus TCP through the mapper', () => {
  it('decodes every byte order and type, one merged request per table per cycle', async () => {
    const order = (byteOrder: string, offset: number) => ({
      unit: 1,
      table: 'HoldingRegister' as const,
      offset,
      rawType: 'float32' as const,
      byteOrder: byteOrder as 'ABCD',
      generator: { kind: 'constant' as const, value: 21.5 },
    });
    sim.addPoints([
      order('ABCD', 0),
      order('BADC', 2),
      order('CDAB', 4),
      order('DCBA', 6),
      {
        unit: 1,
        table: 'HoldingRegister',
        offset: 10,
        rawType: 'int32',
        byteOrder: 'CDAB',
        generator: { kind: 'constant', value: -123456 },
      },
      {
        unit: 1,
        table: 'HoldingRegister',
        offset: 12,
        rawType: 'uint16',
        scale: 0.1,
        generator: { kind: 'constant', value: 230.4 },
      },
      {
        unit: 1,
        table: 'HoldingRegister',
        offset: 14,
        rawType: 'string',
        stringRegisters: 3,
        generator: { kind: 'constant', value: 'SDM630' },
      },
      {
        unit: 1,
        table: 'HoldingRegister',
        offset: 17,
        rawType: 'float64',
        byteOrder: 'DCBA',
        generator: { kind: 'constant', value: -1.25e10 },
      },
      { unit: 1, table: 'CoilRegister', offset: 3, rawType: 'bool', generator: { kind: 'constant', value: true } },
    ]);
    sim.memory(1).writeRegisters('HoldingRegister', 29, [0b100]);
    const device = modbusDevice('orders', tcp(1), [
      prop('abcd', 'FLOAT', { register: 'HoldingRegister', offset: 0, rawType: 'float32', byteOrder: 'ABCD' }),
      prop('badc', 'FLOAT', { register: 'HoldingRegister', offset: 2, dataType: 'float', limit: 2, isSwap: true }),
      prop('cdab', 'FLOAT', {
        register: 'HoldingRegister',
        offset: 4,
        dataType: 'float',
        limit: 2,
        isRegisterSwap: true,
      }),
      prop('dcba', 'FLOAT', { register: 'HoldingRegister', offset: 6, rawType: 'float32', byteOrder: 'DCBA' }),
      prop('counter', 'INT', { register: 'HoldingRegister', offset: 10, rawType: 'int32', byteOrder: 'CDAB' }),
      prop('voltage', 'FLOAT', { register: 'HoldingRegister', offset: 12, rawType: 'uint16', scale: 0.1 }),
      prop('model', 'STRING', { register: 'HoldingRegister', offset: 14, rawType: 'string', limit: 3 }),
      prop('energy', 'DOUBLE', { register: 'HoldingRegister', offset: 17, rawType: 'float64', byteOrder: 'DCBA' }),
      prop('alarm', 'BOOLEAN', { register: 'HoldingRegister', offset: 29, rawType: 'bit', bit: 2 }),
      prop('relay', 'BOOLEAN', { register: 'CoilRegister', offset: 3 }),
    ]);
    const m = await mapper();
    await publishSet(client, deviceSet(1, [device]));
    const topic = edgeTopics.dataRaw(device.id);
    const update = await client.waitFor<RawData>(topic, (u) => u.readings.every((r) => r.quality === 'good'));
    const r = readingsOf(update);
    expect(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.value]))).toEqual({
      abcd: 21.5,
      badc: 21.5,
      cdab: 21.5,
      dcba: 21.5,
      counter: -123456,
      voltage: 230.4,
      model: 'SDM630',
      energy: -1.25e10,
      alarm: true,
      relay: true,
    });
    await client.waitFor<RawData>(topic, () => client.messages(topic).length >= 5);
    await m.stop();
    // The offline status is published after the driver stopped; MQTT keeps one client's order, so
    // every data message of the mapper has arrived once it has.
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), (s: { state?: string }) => s.state === 'offline');
    const cycles = client.messages(topic).length;
    const counts = sim.counts()[1]!;
    // Holding registers 0..29 are one read (gaps <= maxGap 8 are bridged), the coil another.
    expect(counts[3]).toBeGreaterThanOrEqual(cycles);
    expect(counts[3]).toBeLessThanOrEqual(cycles + 1);
    expect(counts[1]).toBe(counts[3]);
  });

  it('names the Modbus exception in the reading and keeps the device online', async () => {
    sim.addPoints([
      { unit: 2, table: 'InputRegister', offset: 0, rawType: 'int16', generator: { kind: 'constant', value: 7 } },
    ]);
    const device = modbusDevice('excepting', tcp(2), [
      prop('level', 'INT', { register: 'InputRegister', offset: 0, rawType: 'int16' }),
    ]);
    await mapper();
    await publishSet(client, deviceSet(1, [device]));
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[0]?.value === 7);
    sim.setFaults({ exceptionRate: 1, exceptionCode: 2 }, 2);
    const bad = await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[0]?.quality === 'bad');
    expect(bad.readings[0]).toMatchObject({ property: 'level', value: null, quality: 'bad' });
    expect(bad.readings[0]!.reason).toContain('exception 2 (Illegal Data Address)');
    sim.setFaults({ exceptionRate: 1, exceptionCode: 6 }, 2);
    const busy = await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) =>
      (u.readings[0]?.reason ?? '').includes('exception 6 (Server Device Busy)'),
    );
    expect(busy.readings[0]!.quality).toBe('bad');
    const states = client.payloads<StateUpdate>(edgeTopics.stateUpdate(device.id)).map((s) => s.state);
    expect(states).toEqual(['online']);
  });

  it('writes a desired value from a twin delta, reads it back and refuses what it must', async () => {
    sim.addPoints([
      {
        unit: 3,
        table: 'HoldingRegister',
        offset: 100,
        rawType: 'float32',
        byteOrder: 'CDAB',
        generator: { kind: 'constant', value: 20 },
      },
      { unit: 3, table: 'CoilRegister', offset: 0, rawType: 'bool', generator: { kind: 'constant', value: false } },
      { unit: 3, table: 'HoldingRegister', offset: 50, rawType: 'uint16', generator: { kind: 'constant', value: 0b1 } },
      { unit: 3, table: 'InputRegister', offset: 0, rawType: 'int16', generator: { kind: 'constant', value: 5 } },
    ]);
    const device = modbusDevice('writable', tcp(3), [
      prop(
        'setpoint',
        'FLOAT',
        { register: 'HoldingRegister', offset: 100, rawType: 'float32', byteOrder: 'CDAB' },
        { accessMode: 'ReadWrite' },
      ),
      prop('pump', 'BOOLEAN', { register: 'CoilRegister', offset: 0 }, { accessMode: 'ReadWrite' }),
      prop(
        'flag',
        'BOOLEAN',
        { register: 'HoldingRegister', offset: 50, rawType: 'bit', bit: 3 },
        { accessMode: 'ReadWrite' },
      ),
      prop('level', 'INT', { register: 'InputRegister', offset: 0, rawType: 'int16' }),
    ]);
    await mapper();
    await publishSet(client, deviceSet(1, [device]));
    await client.waitFor(edgeTopics.dataRaw(device.id));
    const delta = (values: Record<string, string>) => ({
      event_id: 'e1',
      timestamp: Date.now(),
      twin: {},
      delta: values,
    });
    await client.publish(
      edgeTopics.twinUpdateDelta(device.id),
      delta({ setpoint: '22.75', pump: 'true', flag: '1', level: '9', nosuch: '1' }),
    );
    const result = (property: string) =>
      client.waitFor<WriteResult>(edgeTopics.writeResult(device.id), (w) => w.property === property);
    const setpoint = await result('setpoint');
    expect(setpoint).toMatchObject({
      ok: true,
      desired: '22.75',
      readBack: { property: 'setpoint', value: 22.75, quality: 'good' },
    });
    expect(await result('pump')).toMatchObject({ ok: true, readBack: { value: true } });
    expect(await result('flag')).toMatchObject({ ok: true, readBack: { value: true } });
    expect(sim.memory(3).readRegisters('HoldingRegister', 50, 1)).toEqual([0b1001]); // bit 3 set, bit 0 kept
    const level = await result('level');
    expect(level.ok).toBe(false);
    expect(level.reason).toContain('ReadOnly');
    expect((await result('nosuch')).reason).toContain('has no property nosuch');
    // The read-back travels once, in the write result (the edge's EventBus feeds it to the
    // pipeline); the mapper does not send it as a reading too. The next poll reads the new value.
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) =>
      u.readings.some((r) => r.property === 'setpoint' && r.value === 22.75),
    );
    const readBackTs = setpoint.readBack!.ts;
    const carriers = client
      .payloads<RawData>(edgeTopics.dataRaw(device.id))
      .filter(
        (u) => u.readings.length === 1 && u.readings[0]!.property === 'setpoint' && u.readings[0]!.ts === readBackTs,
      );
    expect(carriers).toEqual([]);

    await client.publish(edgeTopics.twinUpdateDelta(device.id), delta({ setpoint: 'warm' }));
    const refused = await client.waitFor<WriteResult>(edgeTopics.writeResult(device.id), (w) => w.desired === 'warm');
    expect(refused.ok).toBe(false);
    expect(refused.reason).toContain('not a valid FLOAT');
  });

  it('follows the device set at run time: add, change only what changed, remove, ignore older sets, report invalid devices', async () => {
    sim.addPoints([
      { unit: 1, table: 'HoldingRegister', offset: 0, rawType: 'uint16', generator: { kind: 'constant', value: 11 } },
      { unit: 1, table: 'HoldingRegister', offset: 1, rawType: 'uint16', generator: { kind: 'constant', value: 12 } },
      { unit: 2, table: 'HoldingRegister', offset: 0, rawType: 'uint16', generator: { kind: 'constant', value: 21 } },
    ]);
    const a1 = modbusDevice('a', tcp(1), [
      prop('v', 'INT', { register: 'HoldingRegister', offset: 0, rawType: 'uint16' }),
    ]);
    const a2 = modbusDevice('a', tcp(1), [
      prop('v', 'INT', { register: 'HoldingRegister', offset: 1, rawType: 'uint16' }),
    ]);
    const b = modbusDevice('b', tcp(2), [
      prop('v', 'INT', { register: 'HoldingRegister', offset: 0, rawType: 'uint16' }),
    ]);
    const broken = modbusDevice('broken', tcp(2), [prop('v', 'INT', { register: 'HoldingRegister', offset: 70000 })]);
    const m = await mapper();
    const value = (id: string, v: number) =>
      client.waitFor<RawData>(edgeTopics.dataRaw(id), (u) => u.readings[0]?.value === v);

    await publishSet(client, deviceSet(1, [a1]));
    await value(a1.id, 11);
    await publishSet(client, deviceSet(2, [a1, b, broken]));
    await value(b.id, 21);
    const invalid = await client.waitFor<StateUpdate>(edgeTopics.stateUpdate(broken.id));
    expect(invalid.state).toBe('offline');
    expect(invalid.reason).toMatch(/invalid device default\/broken: property v visitor.*offset/);

    await publishSet(client, deviceSet(3, [a2, b]));
    await value(a2.id, 12);
    // The poller publishes a cycle's readings before the state that cycle implies, so a2's
    // "online" may still be on its way when its first reading has arrived.
    const statesOf = (id: string) => client.payloads<StateUpdate>(edgeTopics.stateUpdate(id)).map((s) => s.state);
    await client.waitFor(edgeTopics.stateUpdate(a2.id), () => statesOf(a2.id).length >= 2);
    // b was not restarted: it reported online once, when it was added.
    expect(client.payloads<StateUpdate>(edgeTopics.stateUpdate(b.id)).map((s) => s.state)).toEqual(['online']);
    expect(client.payloads<StateUpdate>(edgeTopics.stateUpdate(a1.id)).map((s) => s.state)).toEqual([
      'online',
      'online',
    ]);

    // Statuses so far include devices: 1 (after set 1): only one published after set 4 counts.
    // The mapper publishes it once set 4 is applied, after every reading of the removed a.
    client.clear(edgeTopics.mapperStatus('test-mapper'));
    await publishSet(client, deviceSet(2, [a1])); // older: ignored
    await publishSet(client, deviceSet(4, [b]));
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), (s: { devices?: number }) => s.devices === 1);
    const aCount = client.messages(edgeTopics.dataRaw(a1.id)).length;
    const bCount = client.messages(edgeTopics.dataRaw(b.id)).length;
    await client.waitFor(
      edgeTopics.dataRaw(b.id),
      () => client.messages(edgeTopics.dataRaw(b.id)).length >= bCount + 5,
    );
    expect(client.messages(edgeTopics.dataRaw(a1.id)).length).toBe(aCount);
    expect(client.payloads<RawData>(edgeTopics.dataRaw(a1.id)).slice(-1)[0]!.readings[0]!.value).toBe(12);
    expect(await counterValue(m.metrics, 'kedge_mapper_bad_payloads_total')).toBe(0);
  });

  it('counts bad payloads per topic filter and reason and keeps working', async () => {
    sim.addPoints([
      { unit: 1, table: 'HoldingRegister', offset: 0, rawType: 'uint16', generator: { kind: 'constant', value: 5 } },
    ]);
    const device = modbusDevice('robust', tcp(1), [
      prop('v', 'INT', { register: 'HoldingRegister', offset: 0, rawType: 'uint16' }),
    ]);
    const m = await mapper();
    await client.publish(edgeTopics.mapperDevices('modbus'), '{not json');
    await client.publish(edgeTopics.mapperDevices('modbus'), {
      node: 'edge-test',
      protocol: 'modbus',
      version: 'one',
      devices: [],
    });
    await publishSet(client, deviceSet(1, [device]));
    await client.waitFor(edgeTopics.dataRaw(device.id));
    await client.publish(edgeTopics.twinUpdateDelta(device.id), '[]');
    await client.publish(edgeTopics.twinUpdateDelta(device.id), {
      event_id: 'x',
      timestamp: 1,
      twin: {},
      delta: { v: 3 },
    });
    await client.waitFor(edgeTopics.mapperStatus('test-mapper'), () => m.runtime.badPayloadCount >= 4);
    expect(
      await counterValue(m.metrics, 'kedge_mapper_bad_payloads_total', {
        filter: edgeTopics.mapperDevices('modbus'),
        reason: 'bad-device-set',
      }),
    ).toBe(2);
    expect(
      await counterValue(m.metrics, 'kedge_mapper_bad_payloads_total', {
        filter: edgeFilters.twinDelta,
        reason: 'bad-payload',
      }),
    ).toBe(2);
    const before = client.messages(edgeTopics.dataRaw(device.id)).length;
    await client.waitFor(
      edgeTopics.dataRaw(device.id),
      () => client.messages(edgeTopics.dataRaw(device.id)).length > before + 2,
    );
  });

  it('converges when the retained device set was there before the mapper started', async () => {
    sim.addPoints([
      { unit: 1, table: 'InputRegister', offset: 4, rawType: 'int16', generator: { kind: 'constant', value: -3 } },
    ]);
    const device = modbusDevice('early', tcp(1), [
      prop('t', 'INT', { register: 'InputRegister', offset: 4, rawType: 'int16' }),
    ]);
    await publishSet(client, deviceSet(7, [device]));
    await mapper();
    expect((await client.waitFor<RawData>(edgeTopics.dataRaw(device.id))).readings[0]!.value).toBe(-3);
    const status = await client.waitFor(
      edgeTopics.mapperStatus('test-mapper'),
      (s: { state?: string; devices?: number }) => s.state === 'online' && s.devices === 1,
    );
    expect(status).toMatchObject({ name: 'test-mapper', protocols: ['modbus'] });
  });
});
