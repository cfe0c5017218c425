import { describe, expect, it } from 'vitest';
import { mergeModelDefaults } from './merge.js';
import { resolveDeviceInstance } from './resolve.js';
import type { Device, DeviceModel } from './schema.js';
import { validateSources } from './validate.js';

/** A v1.22+ model carrying its devices' defaults (KubeEdge dmicache.go overrideDeviceInstanceConfig). */
const model: DeviceModel = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'meter' },
  spec: {
    protocol: 'modbus',
    protocolConfigData: { communicateMode: 'TCP', port: 502, slaveID: 1 },
    properties: [
      {
        name: 'voltage',
        type: 'FLOAT',
        accessMode: 'ReadOnly',
        visitors: { protocolName: 'modbus', configData: { register: 'InputRegister', offset: 0, limit: 2 } },
      },
      { name: 'relay', type: 'BOOLEAN', accessMode: 'ReadWrite' },
    ],
  },
};

const device = (spec: Partial<Device['spec']> = {}): Device => ({
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name: 'meter-1' },
  spec: {
    deviceModelRef: { name: 'meter' },
    protocol: { protocolName: 'modbus', configData: { ip: '10.0.0.9', slaveID: 7 } },
    properties: [
      { name: 'voltage', visitors: { configData: { rawType: 'float32', offset: 4 } } },
      { name: 'relay', visitors: { configData: { register: 'CoilRegister', offset: 3 } } },
    ],
    ...spec,
  },
});

describe('model defaults merged into devices', () => {
  it("takes the model's visitors and protocolConfigData, the instance winning key by key", () => {
    const merged = mergeModelDefaults(device(), model);
    expect(merged.spec.protocol).toEqual({
      protocolName: 'modbus',
      configData: { communicateMode: 'TCP', port: 502, slaveID: 7, ip: '10.0.0.9' },
    });
    expect(merged.spec.properties?.[0]?.visitors).toEqual({
      protocolName: 'modbus',
      configData: { register: 'InputRegister', offset: 4, limit: 2, rawType: 'float32' },
    });
    // A property the model has no visitors for keeps its own.
    expect(merged.spec.properties?.[1]?.visitors).toEqual({ configData: { register: 'CoilRegister', offset: 3 } });
  });

  it('leaves both inputs unchanged', () => {
    const d = device();
    const before = JSON.stringify([d, model]);
    mergeModelDefaults(d, model);
    expect(JSON.stringify([d, model])).toBe(before);
  });

  it("uses the model's protocol when the Device names none (spec.protocol is optional in KubeEdge's CRD)", () => {
    const { protocol: _, ...spec } = device().spec;
    const instance = resolveDeviceInstance({ ...device(), spec }, model);
    expect(instance.protocol).toBe('modbus');
    expect(instance.protocolConfig).toEqual({ communicateMode: 'TCP', port: 502, slaveID: 1 });
  });

  it('resolves a device with no protocol anywhere to protocol "" (served by no mapper)', () => {
    const { protocol: _, ...spec } = device().spec;
    const bare: DeviceModel = { ...model, spec: { properties: model.spec.properties ?? [] } };
    expect(resolveDeviceInstance({ ...device(), spec }, bare).protocol).toBe('');
  });

  it('kedge validate accepts a device whose visitors come from its model, and resolves them', () => {
    const yaml = (o: unknown) => JSON.stringify(o);
    const minimal = device({
      properties: [
        { name: 'voltage' },
        { name: 'relay', visitors: { configData: { register: 'CoilRegister', offset: 3 } } },
      ],
    });
    const result = validateSources([
      { file: 'model.yaml', content: yaml(model) },
      { file: 'device.yaml', content: yaml(minimal) },
    ]);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.instances[0]?.properties[0]?.visitor).toEqual({ register: 'InputRegister', offset: 0, limit: 2 });
  });
});
