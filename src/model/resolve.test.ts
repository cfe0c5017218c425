import { describe, expect, it } from 'vitest';
import { isKedgeError } from '../core/errors/index.js';
import { resolveDeviceInstance } from './resolve.js';
import type { Device, DeviceModel } from './schema.js';

const model: DeviceModel = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'thermo', namespace: 'plant' },
  spec: {
    protocol: 'Modbus',
    properties: [
      {
        name: 'temperature',
        type: 'FLOAT',
        accessMode: 'ReadOnly',
        minimum: '-40',
        maximum: 125,
        unit: 'Celsius',
        cleansing: { range: { min: -40, max: 125, action: 'reject' }, deadband: { absolute: 0.5 } },
      },
      { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
    ],
  },
};

function device(overrides: Partial<Device['spec']> = {}): Device {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: 'thermo-1', namespace: 'plant' },
    spec: {
      deviceModelRef: { name: 'thermo' },
      nodeName: 'edge-1',
      protocol: {
        protocolName: 'modbus',
        configData: { communicateMode: 'TCP', ip: '10.0.0.2', port: 502, slaveID: 1 },
      },
      properties: [
        {
          name: 'temperature',
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'InputRegister', offset: 0, limit: 2, rawType: 'float32' },
          },
          collectCycle: 1_000_000_000,
          reportCycle: 5000,
          reportToCloud: true,
          cleansing: { deadband: { percent: 1 } },
        },
        {
          name: 'setpoint',
          desired: { value: '21' },
          visitors: { configData: { register: 'HoldingRegister', offset: 10 } },
        },
      ],
      ...overrides,
    },
  };
}

describe('resolveDeviceInstance', () => {
  it('joins device and model with defaults, ms cycles and per-rule cleansing override', () => {
    const instance = resolveDeviceInstance(device(), model);
    expect(instance).toEqual({
      id: 'plant/thermo-1',
      namespace: 'plant',
      name: 'thermo-1',
      model: 'thermo',
      nodeName: 'edge-1',
      protocol: 'modbus',
      protocolConfig: { communicateMode: 'TCP', ip: '10.0.0.2', port: 502, slaveID: 1 },
      properties: [
        {
          name: 'temperature',
          type: 'FLOAT',
          accessMode: 'ReadOnly',
          unit: 'Celsius',
          minimum: -40,
          maximum: 125,
          visitor: { register: 'InputRegister', offset: 0, limit: 2, rawType: 'float32' },
          collectCycleMs: 1000,
          reportCycleMs: 5000,
          reportToCloud: true,
          cleansing: { range: { min: -40, max: 125, action: 'reject' }, deadband: { percent: 1 } },
        },
        {
          name: 'setpoint',
          type: 'INT',
          accessMode: 'ReadWrite',
          visitor: { register: 'HoldingRegister', offset: 10 },
          collectCycleMs: 1000,
          reportCycleMs: 1000,
          reportToCloud: false,
          desired: '21',
        },
      ],
    });
  });

  it('uses namespace default and an empty protocolConfig when absent', () => {
    const d = device({ protocol: { protocolName: 'MODBUS' }, properties: [] });
    delete d.metadata.namespace;
    const instance = resolveDeviceInstance(d, model);
    expect(instance.id).toBe('default/thermo-1');
    expect(instance.protocol).toBe('modbus');
    expect(instance.protocolConfig).toEqual({});
  });

  it.each([
    [
      'KEDGE_MODEL_UNKNOWN_PROPERTY',
      device({ properties: [{ name: 'humidity' }] }),
      /property humidity is not declared in DeviceModel thermo/,
    ],
    ['KEDGE_MODEL_MISMATCH', device({ deviceModelRef: { name: 'other' } }), /references DeviceModel other, not thermo/],
    [
      'KEDGE_MODEL_MISMATCH',
      device({ protocol: { protocolName: 'opcua' } }),
      /uses protocol opcua but DeviceModel thermo says Modbus/,
    ],
  ])('throws %s', (code, d, message) => {
    try {
      resolveDeviceInstance(d, model);
      expect.unreachable();
    } catch (err) {
      expect(isKedgeError(err) && err.code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
  });
});
