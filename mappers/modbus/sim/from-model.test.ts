import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFiles, type DeviceInstance } from '../../../src/model/index.js';
import { decodeBits, decodeRegisters } from '../codec.js';
import { deriveDecodeSpec, isBitTable } from '../decode-spec.js';
import { compilePipeline } from '../../../src/pipeline/index.js';
import { addSpikes, descriptionsOf, simModelFromInstances } from './from-model.js';
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

  it("agrees with the model: every meter reading passes the model's own cleansing for two minutes, V/A/Hz are those of a real supply", async () => {
    const byName = new Map<string, [number, number]>();
    for (const file of ['eastron-sdm120.yaml', 'eastron-sdm630-v2.yaml', 'carlo-gavazzi-em24-din.yaml']) {
      const result = await validateFiles([join(MODELS, file)]);
      const device = result.instances.find((i) => i.protocol === 'modbus')!;
      let now = 0;
      const sim = new ModbusSim({
        points: simModelFromInstances([device], descriptionsOf(result.models)).points,
        now: () => now,
      });
      for (const property of device.properties) {
        if (property.type === 'STRING' || property.type === 'BOOLEAN') continue;
        const pipeline = compilePipeline(property.cleansing ?? {}, { name: `${device.id}/${property.name}` });
        const values: number[] = [];
        // Polled as the device says, at most every 2 s (the demo's cycle: src/demo/devices.ts).
        const cycle = Math.min(property.collectCycleMs, 2000);
        for (now = 0; now <= 120_000; now += cycle) {
          const value = (await readValue(sim, device, property.name)) as number;
          values.push(value);
          const out = pipeline.process({ value, quality: 'good', ts: now });
          expect(out?.quality ?? 'good', `${file} ${property.name}=${value} at ${now} ms: ${out?.reason}`).toBe('good');
        }
        const unit = property.unit?.toLowerCase();
        const [lo, hi] = [Math.min(...values), Math.max(...values)];
        if (unit === 'v' && !/l\d-l\d|line/i.test(property.name))
          expect([lo, hi], property.name).toSatisfy(between(225, 235));
        if (unit === 'hz') expect([lo, hi], property.name).toSatisfy(between(49.9, 50.1));
        if (unit === 'a') expect(lo, property.name).toBeGreaterThan(0);
        if (unit === 'kwh') expect(values, property.name).toEqual([...values].sort((a, b) => a - b));
        if (file === 'eastron-sdm120.yaml') byName.set(property.name, [lo, hi]);
      }
    }
    // The single-phase meter's powers agree with its volts and amps: S = V x I, P <= S.
    const [voltage, current, active, apparent] = ['voltage', 'current', 'active-power', 'apparent-power'].map(
      (n) => byName.get(n)!,
    );
    expect(apparent![0]).toBeGreaterThan(voltage![0] * current![0] * 0.9);
    expect(apparent![1]).toBeLessThan(voltage![1] * current![1] * 1.1);
    expect(active![1]).toBeLessThanOrEqual(apparent![1]);
  });

  it('a status word of bit properties mirrors them, writes included (the E1214 relays-bitmask)', async () => {
    const result = await validateFiles([join(MODELS, 'moxa-iologik-e1214.yaml')]);
    const device = result.instances.find((i) => i.protocol === 'modbus')!;
    const sim = new ModbusSim({ points: simModelFromInstances([device], descriptionsOf(result.models)).points });
    const relays = async () => {
      let word = 0;
      for (let n = 0; n < 6; n++) if (await readValue(sim, device, `relay-${n}`)) word |= 1 << n;
      return word;
    };
    expect(await readValue(sim, device, 'relays-bitmask')).toBe(await relays());
    // FC05: switch relay 2 on, as the mapper writes a desired value.
    await sim.respond(1, Buffer.from([5, 0, 2, 0xff, 0]));
    expect(await relays()).toBe(4);
    expect(await readValue(sim, device, 'relays-bitmask')).toBe(4);
  });

  it('--spike: the property reads 25 % high for 0.9 s every period', async () => {
    const result = await validateFiles([join(MODELS, 'eastron-sdm120.yaml')]);
    const device = result.instances.find((i) => i.protocol === 'modbus')!;
    let now = 0;
    const model = simModelFromInstances([device], descriptionsOf(result.models));
    addSpikes(model, `${device.id}:voltage`, { everyMs: 15_000, widthMs: 1000, factor: 1.25 });
    expect(() => addSpikes(model, `${device.id}:nope`, { everyMs: 15_000, widthMs: 1000, factor: 1.25 })).toThrow(
      /--spike default\/sdm120-kitchen-circuit:nope: no such property \(e\.g\. default\/sdm120-kitchen-circuit:voltage/,
    );
    const sim = new ModbusSim({ points: model.points, now: () => now });
    const at = async (t: number) => {
      now = t;
      return (await readValue(sim, device, 'voltage')) as number;
    };
    // Timed from the first request: a client's first reading is never a glitch (it would be its reference).
    now = 5000;
    await readValue(sim, device, 'voltage');
    expect(await at(5000 + 14_000)).toBeLessThan(240);
    expect(await at(5000 + 15_500)).toBeGreaterThan(280);
    expect(await at(5000 + 16_500)).toBeLessThan(240);
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

function between(lo: number, hi: number) {
  return ([a, b]: [number, number]) => a >= lo && b <= hi;
}
