/**
 * kedge's own Modbus mapper speaking DMI (`kedge mapper --dmi`, DmiMapperRuntime) to kedge edge,
 * against the Modbus simulator: devices arrive as CreateDeviceModel/RegisterDevice, readings go
 * back as ReportDeviceStatus and reach the twin, a desired value goes out in UpdateDevice, is
 * written, read back and confirmed; Edged runs no MQTT mapper for the protocol DMI serves.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { driverLoader } from '../../mappers/drivers.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { DmiMapperRuntime } from '../../mappers/sdk/dmi/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { detachedRegistry } from '../../src/core/metrics/index.js';
import { NODE, startEdge, thermostat, thermostatModel } from '../edge/fixtures.js';

const ID = 'default/thermo-dmi';

describe('kedge Modbus mapper over DMI', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('reads into the twin, writes a desired value and has it confirmed; Edged leaves the protocol to it', async () => {
    const sim = new ModbusSim({ units: [1] });
    const endpoint = await sim.listenTcp();
    cleanup.push(() => sim.stop());
    sim.memory(1).writeRegisters('HoldingRegister', 0, [215]);
    const edge = await startEdge({ mappers: 'inprocess', desiredTimeoutMs: 8000 });
    cleanup.push(() => edge.close());

    const mapper = new DmiMapperRuntime({
      name: `${NODE}-modbus-dmi`,
      node: NODE,
      protocols: ['modbus'],
      edgeSocket: join(edge.dataDir, 'dmi.sock'),
      dataDir: join(edge.dataDir, 'dmi-mapper'),
      drivers: driverLoader,
      logger: silentLogger(),
      clock: systemClock,
      metrics: detachedRegistry(),
    });
    await mapper.start();
    cleanup.push(() => mapper.stop());
    expect(await edge.node.bus.request('dmi.served', {})).toEqual({ protocols: ['modbus'] });

    await edge.node.bus.request('meta.apply', {
      documents: [thermostatModel(), thermostat('thermo-dmi', {}, endpoint.port)],
    });
    await vi.waitFor(
      async () => {
        const view = await edge.node.bus.request('twin.view', { deviceId: ID });
        expect(view?.state).toBe('online');
        expect(view?.properties['temperature']?.reported).toMatchObject({ value: '21.5', quality: 'good' });
      },
      { timeout: 15_000, interval: 100 },
    );
    // The devices went to the DMI mapper: Edged started no MQTT mapper for modbus.
    const workloads = await edge.node.bus.request('edged.status', {});
    expect(workloads.filter((w) => w.protocols.includes('modbus'))).toEqual([]);

    expect(sim.memory(1).readBits('CoilRegister', 0, 1)).toEqual([false]);
    const answer = await edge.node.bus.request('twin.setDesired', {
      deviceId: ID,
      properties: { relay: 'true' },
      waitMs: 10_000,
    });
    expect(answer.properties['relay']).toMatchObject({ desired: { value: 'true' }, reported: { value: 'true' } });
    expect(answer.properties['relay']?.pending).toBeUndefined();
    expect(answer.properties['relay']?.failed).toBeUndefined();
    expect(sim.memory(1).readBits('CoilRegister', 0, 1)).toEqual([true]);

    // A value beyond the register's range is refused before it reaches the mapper (the protocol's write limits).
    await expect(
      edge.node.bus.request('twin.setDesired', { deviceId: ID, properties: { setpoint: '99999' }, waitMs: 10_000 }),
    ).rejects.toThrow(/setpoint/);
  }, 40_000);
});
