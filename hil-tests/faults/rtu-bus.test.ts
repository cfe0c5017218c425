/**
 * An RS-485 bus as a socat pseudo-terminal pair: the Modbus simulator answers for six units on one
 * end, the mapper's Modbus driver polls them on the other. Unit 4 answers too late (after the
 * mapper's timeout: its answers land on the line while the next unit's request is out), unit 5
 * answers slowly but in time, unit 6 never answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type StateUpdate } from '../../src/contracts/index.js';
import { ModbusSim, openPtyPair } from '../../mappers/modbus/sim/index.js';
import { Cleanup, deviceSet, modbusDevice, prop, publishSet, startMapper } from '../modbus/harness.js';
import { startAedes } from '../support/brokers.js';
import { TestClient } from '../support/mqtt-client.js';
import { reportFigures } from './harness/report.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const TIMEOUT_MS = 200;
const CYCLE_MS = 200;
const WINDOW_MS = Number(process.env.KEDGE_FAULTS_RTU_WINDOW_MS ?? 12_000);
const HEALTHY = [1, 2, 3];
const LATE = 4;
const SLOW = 5;
const SILENT = 6;

describe('an RTU bus with a unit that answers late, one that answers slowly and one that is silent', () => {
  it('healthy units keep their poll rate, see no CRC error and never go offline', async () => {
    const broker = await startAedes();
    cleanup.add(() => broker.close());
    const client = await TestClient.connect(broker.url, [edgeFilters.dataRaw, edgeFilters.stateUpdate]);
    cleanup.add(() => client.close());
    const pty = await openPtyPair();
    cleanup.add(() => pty.close());
    const sim = new ModbusSim({ units: [...HEALTHY, LATE, SLOW, SILENT] });
    await sim.openSerial(pty.a, { baudRate: 19200 });
    cleanup.add(() => sim.stop());
    // Just after the timeout: the late answer lands on the line during the next unit's transaction.
    sim.setFaults({ delayMs: TIMEOUT_MS + 5 }, LATE);
    sim.setFaults({ delayMs: 100 }, SLOW);
    sim.setFaults({ dead: true }, SILENT);

    const devices = [...HEALTHY, LATE, SLOW, SILENT].map((unit) => {
      // The late unit's value holds the bytes 01 03 01 03: inside its answer they look like the
      // start of unit 1's answer (unit 1, function 3), the trap a late answer sets for a neighbour.
      const rawType = unit === LATE ? 'uint32' : 'uint16';
      const value = unit === LATE ? 0x01030103 : unit * 100;
      sim.addPoints([{ unit, table: 'HoldingRegister', offset: 0, rawType, generator: { kind: 'constant', value } }]);
      return modbusDevice(
        `unit-${unit}`,
        { communicateMode: 'RTU', serialPort: pty.b, baudRate: 19200, slaveID: unit, timeoutMs: TIMEOUT_MS },
        [prop('value', 'INT', { register: 'HoldingRegister', offset: 0, rawType }, { collectCycleMs: CYCLE_MS })],
      );
    });
    // The driver's own back-off (1 s doubling to 30 s), not the short one the other RTU tests use.
    const m = await startMapper(broker.url, 'rtu-faults', ['modbus'], {});
    cleanup.add(() => m.stop());
    await publishSet(client, deviceSet(1, devices));
    for (const unit of HEALTHY)
      await client.waitFor<RawData>(edgeTopics.dataRaw(`default/unit-${unit}`), (u) =>
        u.readings.every((r) => r.quality === 'good'),
      );
    const before = new Map(devices.map((d) => [d.id, client.messages(edgeTopics.dataRaw(d.id)).length]));
    const start = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const seconds = (Date.now() - start) / 1000;

    const updates = (unit: number) =>
      client.payloads<RawData>(edgeTopics.dataRaw(`default/unit-${unit}`)).slice(before.get(`default/unit-${unit}`));
    const states = (unit: number) =>
      client.payloads<StateUpdate>(edgeTopics.stateUpdate(`default/unit-${unit}`)).map((s) => s.state);
    const rate = (unit: number) => updates(unit).length / seconds;
    const bad = (unit: number) => updates(unit).filter((u) => u.readings.some((r) => r.quality !== 'good'));
    const figures: Record<string, number | string> = {};
    for (const unit of HEALTHY) {
      figures[`unit${unit}PollsPerS`] = rate(unit);
      figures[`unit${unit}Bad`] = bad(unit).length;
      figures[`unit${unit}States`] = states(unit).join('>');
    }
    figures.nominalPollsPerS = 1000 / CYCLE_MS;
    figures.slowUnitPollsPerS = rate(SLOW);
    figures.slowUnitStates = states(SLOW).join('>') || '(none)';
    figures.lateUnitStates = states(LATE).join('>') || '(none)';
    figures.silentUnitStates = states(SILENT).join('>') || '(none)';
    reportFigures(
      `RTU bus, 19200 baud, ${CYCLE_MS} ms cycle, ${TIMEOUT_MS} ms timeout, ${seconds.toFixed(1)} s`,
      figures,
    );

    for (const unit of HEALTHY) {
      // A late answer of unit 4 never corrupts theirs (no "CRC error", no frame of another unit).
      // A timeout alone is allowed: on a loaded machine the pty pair itself can be late.
      expect(
        bad(unit)
          .map((u) => u.readings[0]?.reason ?? '(no reason)')
          .filter((reason) => !/: no answer within \d+ ms$/.test(reason)),
        `unit ${unit} bad readings other than a timeout`,
      ).toEqual([]);
      expect(states(unit), `unit ${unit} states`).toEqual(['online']);
      // The line is shared by time: the slow and failing units do not take their turns from them.
      // (Half the nominal rate as the floor: a loaded 2-core machine slows every unit alike.)
      expect(rate(unit), `unit ${unit} polls/s`).toBeGreaterThan((1000 / CYCLE_MS) * 0.5);
    }
    expect(states(SILENT)).toEqual(['offline']);
    expect(states(LATE).at(-1)).toBe('offline');
    // The slow unit answers: it stays online (one late answer is not an outage) and is still polled.
    expect(states(SLOW)).toEqual(['online']);
    expect(updates(SLOW).length).toBeGreaterThan(0);
  }, 60_000);
});
