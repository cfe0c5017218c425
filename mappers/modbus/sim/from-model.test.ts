import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFiles, type DeviceInstance } from '../../../src/model/index.js';
import { decodeBits, decodeRegisters } from '../codec.js';
import { deriveDecodeSpec, isBitTable } from '../decode-spec.js';
import { descriptionsOf, simModelFromInstances } from './from-model.js';
import { ModbusSim } from './server.js';

const MODELS = join(import.meta.dirname, '../../../device-models');

/** Reads a property straight from the simulator's memory after a request refreshed the generators. */
async function readValue(sim: ModbusSim, device: DeviceInstance, name: string) {
  const property = device.properties.find((p) => p.name === name)!;
  const spec = deriveDecodeSpec(property.visitor, { propertyType: property.type });
  const unit = Number(device.protocolConfig.slaveID ?? 1);
  await sim.respond(unit, Buffer.from([3, 0, 0, 0, 1])); // any request refreshes the unit's points
  const memory = sim.memory(unit);
  return isBitTable(spec.table)
    ? decodeBits(memory.readBits(spec.table, spec.offset, 1))
    : decodeRegisters(memory.readRegisters(spec.table, spec.offset, spec.count), spec);
}

describe('simModelFromInstances', () => {
  it('serves every property of every Modbus model in device-models/ within its declared range', async () => {
    const result = await validateFiles([MODELS]);
    const devices = result.instances.filter((i) => i.protocol === 'modbus');
    expect(devices.length).toBeGreaterThanOrEqual(5);
    for (const device of devices) {
      const model = simModelFromInstances([device]);
      expect(model.devices).toEqual([
        { id: device.id, unit: Number(device.protocolConfig.slaveID ?? 1), points: device.properties.length },
      ]);
      const sim = new ModbusSim({ points: model.points, now: () => 12_345 });
      for (const property of device.properties) {
        const value = await readValue(sim, device, property.name);
        if (property.type === 'STRING') expect(typeof value, `${device.id} ${property.name}`).toBe('string');
        else if (property.type === 'BOOLEAN') expect(typeof value, `${device.id} ${property.name}`).toBe('boolean');
        else {
          expect(typeof value, `${device.id} ${property.name}`).toBe('number');
          if (property.minimum !== undefined)
            expect(value as number, `${device.id} ${property.name} >= min`).toBeGreaterThanOrEqual(
              property.minimum - 1e-6,
            );
          if (property.maximum !== undefined)
            expect(value as number, `${device.id} ${property.name} <= max`).toBeLessThanOrEqual(
              property.maximum + 1e-6,
            );
        }
      }
    }
  });

  it('gives plausible values: the quoted example of a string, counters that count up, a typical setting for a wide writable range', async () => {
    const result = await validateFiles([join(MODELS, 'moxa-iologik-e1214.yaml')]);
    const device = result.instances.find((i) => i.protocol === 'modbus')!;
    let now = 0;
    const sim = new ModbusSim({
      points: simModelFromInstances([device], descriptionsOf(result.models)).points,
      now: () => now,
    });
    expect(await readValue(sim, device, 'model-name')).toBe('E1214');
    const width = (await readValue(sim, device, 'relay-0-pulse-on-width')) as number;
    expect(width).toBeGreaterThanOrEqual(1.5);
    expect(width).toBeLessThan(1000);
    for (const counter of ['di-0-counter', 'relay-0-switch-count', 'uptime']) {
      const seen: number[] = [];
      for (now = 0; now < 100_000; now += 10_000) seen.push((await readValue(sim, device, counter)) as number);
      expect(seen, counter).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)!, counter).toBeGreaterThan(seen[0]!);
    }
  });

  it('holds writable properties constant at their desired value, and moves read-only ones', async () => {
    const device: DeviceInstance = {
      id: 'default/d',
      namespace: 'default',
      name: 'd',
      model: 'm',
      protocol: 'modbus',
      protocolConfig: { ip: '127.0.0.1', port: 502, slaveID: 4 },
      properties: [
        {
          name: 'setpoint',
          type: 'FLOAT',
          accessMode: 'ReadWrite',
          desired: '21.5',
          visitor: { register: 'HoldingRegister', offset: 0, rawType: 'float32', byteOrder: 'CDAB' },
          collectCycleMs: 1000,
          reportCycleMs: 1000,
          reportToCloud: false,
        },
        {
          name: 'temp',
          type: 'FLOAT',
          accessMode: 'ReadOnly',
          minimum: -10,
          maximum: 40,
          visitor: { register: 'InputRegister', offset: 0, rawType: 'int16', scale: 0.1 },
          collectCycleMs: 1000,
          reportCycleMs: 1000,
          reportToCloud: false,
        },
        {
          name: 'label',
          type: 'STRING',
          accessMode: 'ReadOnly',
          visitor: { register: 'HoldingRegister', offset: 10, rawType: 'string', limit: 2 },
          collectCycleMs: 1000,
          reportCycleMs: 1000,
          reportToCloud: false,
        },
      ],
    };
    let now = 0;
    const sim = new ModbusSim({ points: simModelFromInstances([device]).points, now: () => now });
    expect(await readValue(sim, device, 'setpoint')).toBe(21.5);
    expect(await readValue(sim, device, 'label')).toBe('labe');
    const seen = new Set<number>();
    for (now = 0; now < 60_000; now += 5_000) seen.add((await readValue(sim, device, 'temp')) as number);
    expect(seen.size).toBeGreaterThan(3);
    for (const v of seen) expect(v >= -10 && v <= 40).toBe(true);
  });

  it('names the device when a slaveID cannot be a unit', () => {
    const device = {
      id: 'default/x',
      namespace: 'default',
      name: 'x',
      model: 'm',
      protocol: 'modbus',
      protocolConfig: { slaveID: 300 },
      properties: [],
    } as DeviceInstance;
    expect(() => simModelFromInstances([device])).toThrow(/default\/x: slaveID 300/);
  });
});
