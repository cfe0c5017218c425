import { describe, expect, it } from 'vitest';
import type { DeviceInstance } from '../../src/model/index.js';
import { deviceProblem } from './device-check.js';

const good: DeviceInstance = {
  id: 'plant/pump',
  namespace: 'plant',
  name: 'pump',
  model: 'p',
  protocol: 'modbus',
  protocolConfig: { ip: '10.0.0.2', port: 502, slaveID: 1 },
  properties: [
    {
      name: 'flow',
      type: 'FLOAT',
      accessMode: 'ReadOnly',
      visitor: { register: 'InputRegister', offset: 0, rawType: 'float32' },
      collectCycleMs: 1000,
      reportCycleMs: 1000,
      reportToCloud: false,
    },
  ],
};

describe('deviceProblem', () => {
  it('accepts a valid device', () => {
    expect(deviceProblem(good, 'modbus')).toBeUndefined();
  });

  it('names the field that is wrong', () => {
    expect(deviceProblem({ ...good, protocolConfig: { ip: '10.0.0.2' } }, 'modbus')).toMatch(
      /protocolConfig: .*needs port/,
    );
    expect(deviceProblem({ ...good, protocolConfig: { ...good.protocolConfig, slaveID: 300 } }, 'modbus')).toMatch(
      /protocolConfig\.slaveID/,
    );
    const p = good.properties[0]!;
    expect(
      deviceProblem({ ...good, properties: [{ ...p, visitor: { register: 'Nope', offset: 0 } }] }, 'modbus'),
    ).toMatch(/property flow visitor\.register/);
    expect(deviceProblem({ ...good, properties: [{ ...p, type: 'NUMBER' as never }] }, 'modbus')).toMatch(
      /device\.properties\[0\]\.type: expected one of INT, FLOAT/,
    );
    expect(deviceProblem({ ...good, properties: [p, p] }, 'modbus')).toBe('property flow appears twice');
    expect(deviceProblem({ ...good, id: 'other/pump' }, 'modbus')).toMatch(/id must be <namespace>\/<name>/);
    expect(deviceProblem(good, 'opcua')).toMatch(/protocol is modbus, but it arrived in the opcua device set/);
  });
});
