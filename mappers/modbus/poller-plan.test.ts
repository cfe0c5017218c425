import { describe, expect, it } from 'vitest';
import type { DeviceInstance, PropertyInstance } from '../../src/model/index.js';
import { lineSettings, planDevice, requestsPerCycle } from './poller-plan.js';

const prop = (name: string, visitor: Record<string, unknown>, collectCycleMs = 1000): PropertyInstance => ({
  name,
  type: 'INT',
  accessMode: 'ReadOnly',
  visitor,
  collectCycleMs,
  reportCycleMs: 1000,
  reportToCloud: false,
});
const device = (config: Record<string, unknown>, properties: PropertyInstance[]): DeviceInstance => ({
  id: 'default/m',
  namespace: 'default',
  name: 'm',
  model: 'x',
  protocol: 'modbus',
  protocolConfig: config,
  properties,
});

describe('lineSettings', () => {
  it('keys a line by what is physically shared and applies the documented defaults', () => {
    expect(lineSettings({ ip: '10.0.0.5', port: '502', slaveID: 3 })).toMatchObject({
      key: 'tcp:10.0.0.5:502',
      timeoutMs: 1000,
      interRequestDelayMs: 0,
    });
    expect(lineSettings({ communicateMode: 'RTUOverTCP', ip: 'gw', port: 4001 })).toMatchObject({
      key: 'rtu-over-tcp:gw:4001',
      interRequestDelayMs: 5,
    });
    const rtu = lineSettings({
      communicateMode: 'RTU',
      serialPort: '/dev/ttyUSB0',
      baudRate: 19200,
      parity: 'E',
      timeoutMs: 300,
      interRequestDelayMs: 20,
    });
    expect(rtu).toMatchObject({
      key: 'rtu:/dev/ttyUSB0',
      timeoutMs: 300,
      interRequestDelayMs: 20,
      rtu: { baudRate: 19200, parity: 'E' },
    });
    expect(rtu.transport).toMatchObject({ mode: 'RTU', path: '/dev/ttyUSB0', baudRate: 19200, timeoutMs: 300 });
  });
});

describe('planDevice', () => {
  it('plans each collect cycle on its own, merging within maxGap', () => {
    const plan = planDevice(
      device({ ip: 'h', port: 502, slaveID: 9, maxGap: 2 }, [
        prop('a', { register: 'HoldingRegister', offset: 0, rawType: 'uint16' }),
        prop('b', { register: 'HoldingRegister', offset: 3, rawType: 'float32' }),
        prop('c', { register: 'HoldingRegister', offset: 10, rawType: 'uint16' }),
        prop('slow', { register: 'InputRegister', offset: 0, rawType: 'uint16' }, 60_000),
        prop('coil', { register: 'CoilRegister', offset: 1 }),
      ]),
    );
    expect(plan.unit).toBe(9);
    expect(plan.groups.map((g) => g.cycleMs)).toEqual([1000, 60_000]);
    expect(plan.groups[0]!.requests.map((r) => [r.table, r.offset, r.count])).toEqual([
      ['HoldingRegister', 0, 5],
      ['HoldingRegister', 10, 1],
      ['CoilRegister', 1, 1],
    ]);
    expect(requestsPerCycle(plan)).toBe(4);
  });

  it('names the device and property when a visitor cannot be decoded or read', () => {
    expect(() =>
      planDevice(
        device({ ip: 'h', port: 1 }, [prop('bad', { register: 'HoldingRegister', offset: 0, rawType: 'int99' })]),
      ),
    ).toThrow(/default\/m property bad/);
    expect(() =>
      planDevice(
        device({ ip: 'h', port: 1, maxRegistersPerRead: 2 }, [
          prop('wide', { register: 'HoldingRegister', offset: 0, rawType: 'float64' }),
        ]),
      ),
    ).toThrow(/device default\/m: property wide/);
  });
});
