/**
 * A model end to end against the device named by KEDGE_HIL_MODBUS_TCP / KEDGE_HIL_MODBUS_RTU with
 * KEDGE_HIL_MODBUS_MODEL (see model-target.ts and hil-tests/README.md). Without them the same test
 * runs against the simulator on a socat pty pair (RTU), so it never skips.
 * On hardware it writes only the value it just read to each ReadWrite property (no change).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeFilters, edgeTopics, type RawData, type WriteResult } from '../../src/contracts/index.js';
import { validateFiles, type DeviceInstance } from '../../src/model/index.js';
import { simModelFromInstances } from '../../mappers/modbus/sim/from-model.js';
import { ModbusSim, openPtyPair } from '../../mappers/modbus/sim/index.js';
import { startAedes } from '../support/brokers.js';
import { root } from '../support/kedge-process.js';
import { TestClient } from '../support/mqtt-client.js';
import { Cleanup, deviceSet, publishSet, startMapper } from './harness.js';
import { hardwareTarget, onHardware, overRtu } from './model-target.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const target = hardwareTarget();
const modelFile = target?.model ?? join(root, 'device-models/generic-xy-md02.yaml');

async function devicesUnderTest(): Promise<DeviceInstance[]> {
  const result = await validateFiles([modelFile]);
  const devices = result.instances.filter((i) => i.protocol === 'modbus');
  if (devices.length === 0) throw new Error(`${modelFile}: no valid Modbus Device (run kedge validate on it)`);
  if (target) return devices.map((d) => onHardware(d, target));
  const sim = new ModbusSim({ points: simModelFromInstances(devices).points });
  const pty = await openPtyPair();
  cleanup.add(() => pty.close());
  const baud = Number(devices[0]!.protocolConfig.baudRate ?? 9600);
  await sim.openSerial(pty.a, { baudRate: baud });
  cleanup.add(() => sim.stop());
  return devices.map((d) => overRtu(d, pty.b));
}

describe(`Modbus model end to end on ${target ? `${target.kind} ${target.address}` : 'the simulator over a pty (set KEDGE_HIL_MODBUS_TCP or _RTU for hardware)'}`, () => {
  it(`${modelFile.split('/').pop()}: every property good, ReadWrite properties written and read back`, {
    timeout: 90_000,
  }, async () => {
    const devices = await devicesUnderTest();
    const broker = await startAedes();
    cleanup.add(() => broker.close());
    const client = await TestClient.connect(broker.url, [edgeFilters.dataRaw, edgeFilters.writeResult]);
    cleanup.add(() => client.close());
    const mapper = await startMapper(broker.url);
    cleanup.add(() => mapper.stop());
    await publishSet(client, deviceSet(1, devices));
    for (const device of devices) {
      // Properties with different collect cycles arrive in different messages; the first poll of
      // every cycle group happens at once, so the first messages cover every property.
      const topic = edgeTopics.dataRaw(device.id);
      const seen = () => new Set(client.payloads<RawData>(topic).flatMap((u) => u.readings.map((r) => r.property)));
      await client.waitFor(topic, () => seen().size === device.properties.length, 20_000);
      const update: RawData = {
        event_id: 'all',
        timestamp: 0,
        readings: client.payloads<RawData>(topic).flatMap((u) => u.readings),
      };
      expect(update.readings.filter((r) => r.quality !== 'good')).toEqual([]);
      const writable = device.properties.filter(
        (p) => p.accessMode === 'ReadWrite' && ['HoldingRegister', 'CoilRegister'].includes(String(p.visitor.register)),
      );
      for (const p of writable) {
        const current = update.readings.find((r) => r.property === p.name)!.value!;
        await client.publish(edgeTopics.twinUpdateDelta(device.id), {
          event_id: `w-${p.name}`,
          timestamp: Date.now(),
          twin: {},
          delta: { [p.name]: String(current) },
        });
        const result = await client.waitFor<WriteResult>(
          edgeTopics.writeResult(device.id),
          (w) => w.property === p.name,
          15_000,
        );
        expect(result, `${device.id} ${p.name}`).toMatchObject({
          ok: true,
          readBack: { value: current, quality: 'good' },
        });
      }
    }
  });
});
