/**
 * Modbus RTU over a socat pseudo-terminal pair, end to end through MQTT: several units share one
 * serial line (one queue, one request at a time), and a dead unit does not stall the live ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type StateUpdate } from '../../src/contracts/index.js';
import { ModbusSim, openPtyPair, type PtyPair } from '../../mappers/modbus/sim/index.js';
import { startAedes, type TestBroker } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, deviceSet, modbusDevice, prop, publishSet, startMapper } from './harness.js';

const cleanup = new Cleanup();
let broker: TestBroker;
let client: TestClient;
let sim: ModbusSim;
let pty: PtyPair;

beforeEach(async () => {
  broker = await startAedes();
  cleanup.add(() => broker.close());
  client = await TestClient.connect(broker.url, [edgeFilters.dataRaw, edgeFilters.stateUpdate]);
  cleanup.add(() => client.close());
  pty = await openPtyPair();
  cleanup.add(() => pty.close());
  sim = new ModbusSim({ units: [1, 2, 3, 4] });
  await sim.openSerial(pty.a, { baudRate: 19200 });
  cleanup.add(() => sim.stop());
});
afterEach(() => cleanup.run());

const rtu = (unit: number) => ({
  communicateMode: 'RTU',
  serialPort: pty.b,
  baudRate: 19200,
  parity: 'none',
  slaveID: unit,
  timeoutMs: 200,
});

function unitDevice(unit: number) {
  sim.addPoints([
    {
      unit,
      table: 'InputRegister',
      offset: 0,
      rawType: 'int16',
      scale: 0.1,
      generator: { kind: 'constant', value: unit * 10.5 },
    },
    {
      unit,
      table: 'InputRegister',
      offset: 2,
      rawType: 'uint32',
      byteOrder: 'CDAB',
      generator: { kind: 'constant', value: 70_000 + unit },
    },
  ]);
  return modbusDevice(`unit-${unit}`, rtu(unit), [
    prop('temperature', 'FLOAT', { register: 'InputRegister', offset: 0, rawType: 'int16', scale: 0.1 }),
    prop('count', 'INT', { register: 'InputRegister', offset: 2, rawType: 'uint32', byteOrder: 'CDAB' }),
  ]);
}

describe('Modbus RTU on one serial line', () => {
  it('serves several units on one line, each with its own values', async () => {
    const devices = [1, 2, 3].map(unitDevice);
    const m = await startMapper(broker.url);
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, devices));
    for (const [i, d] of devices.entries()) {
      const unit = i + 1;
      // The first good poll: on a loaded machine a poll may time out before the line settles (the
      // timeout is short on purpose, for the back-off tests); the values must be right when it answers.
      const u = await client.waitFor<RawData>(edgeTopics.dataRaw(d.id), (x) =>
        x.readings.every((r) => r.quality === 'good'),
      );
      expect(u.readings.map((r) => [r.property, r.value, r.quality])).toEqual([
        ['temperature', unit * 10.5, 'good'],
        ['count', 70_000 + unit, 'good'],
      ]);
    }
    // One merged read per device and cycle (registers 0..3), every unit polled over the one line.
    await client.waitFor(
      edgeTopics.dataRaw(devices[2]!.id),
      () => client.messages(edgeTopics.dataRaw(devices[2]!.id)).length >= 5,
    );
    await m.stop();
    const counts = sim.counts();
    for (const unit of [1, 2, 3]) expect(Object.keys(counts[unit]!)).toEqual(['4']);
  });

  it('backs off a dead unit and marks it offline while the live units keep their poll rate', async () => {
    const live = [1, 2, 3].map(unitDevice);
    const dead = unitDevice(4);
    sim.setFaults({ dead: true }, 4);
    const m = await startMapper(broker.url);
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, [...live, dead]));
    const offline = await client.waitFor<StateUpdate>(edgeTopics.stateUpdate(dead.id), (s) => s.state === 'offline');
    expect(offline.reason).toMatch(/unit 4 .*(no answer within 200 ms|did not answer)/);

    // Window: from now until the dead unit has been probed three more times.
    const probes = () => Object.values(sim.counts()[4] ?? {}).reduce((a, b) => a + b, 0);
    const start = {
      probes: probes(),
      at: Date.now(),
      live: live.map((d) => client.messages(edgeTopics.dataRaw(d.id)).length),
    };
    await client.waitFor(edgeTopics.dataRaw(live[0]!.id), () => probes() >= start.probes + 3, 15_000);
    const elapsedMs = Date.now() - start.at;
    for (const [i, d] of live.entries()) {
      const updates = client.payloads<RawData>(edgeTopics.dataRaw(d.id)).slice(start.live[i]);
      // Collect cycle 100 ms; each probe holds the line for one 200 ms timeout. Not stalled means
      // well over half the cycles still came through, and every one of them was good.
      expect(updates.length, `${d.id} updates in ${elapsedMs} ms`).toBeGreaterThan((elapsedMs / 100) * 0.5);
      expect(updates.every((u) => u.readings.every((r) => r.quality === 'good'))).toBe(true);
    }
    const deadStates = client.payloads<StateUpdate>(edgeTopics.stateUpdate(dead.id)).map((s) => s.state);
    expect(deadStates).toEqual(['offline']);
    for (const d of live)
      expect(client.payloads<StateUpdate>(edgeTopics.stateUpdate(d.id)).map((s) => s.state)).toEqual(['online']);

    // The unit comes back: the next probe finds it and it is online again.
    sim.setFaults({}, 4);
    await client.waitFor<StateUpdate>(edgeTopics.stateUpdate(dead.id), (s) => s.state === 'online', 10_000);
    await client.waitFor<RawData>(edgeTopics.dataRaw(dead.id), (u) => u.readings[0]?.value === 42);
  });
});
