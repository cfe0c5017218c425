import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatDiagnostic } from '../core/yaml/index.js';
import { convertYaml } from './v1alpha2.js';
import { validateSources } from './validate.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/kubeedge/${name}`, import.meta.url), 'utf8');

/** A v1alpha2 Modbus device as KubeEdge v1.14's types define it (pkg/apis/devices/v1alpha2). */
const MODBUS_V1ALPHA2 = `
apiVersion: devices.kubeedge.io/v1alpha2
kind: DeviceModel
metadata: { name: thermo }
spec:
  protocol: modbus
  properties:
    - name: temperature
      type: { float: { accessMode: ReadOnly, minimum: -40, maximum: 125, unit: C } }
    - name: setpoint
      type: { int: { accessMode: ReadWrite, defaultValue: 20 } }
---
apiVersion: devices.kubeedge.io/v1alpha2
kind: Device
metadata: { name: thermo-1 }
spec:
  deviceModelRef: { name: thermo }
  protocol:
    modbus: { slaveID: 3 }
    common:
      tcp: { ip: 10.0.0.5, port: 502 }
  nodeSelector:
    nodeSelectorTerms:
      - matchExpressions:
          - { key: "", operator: In, values: [line-3] }
  propertyVisitors:
    - propertyName: temperature
      collectCycle: 500000000
      modbus: { register: InputRegister, offset: 0, limit: 2 }
      customizedValues: { rawType: float32 }
    - propertyName: setpoint
      modbus: { register: HoldingRegister, offset: 10, limit: 1 }
  data:
    dataTopic: somewhere
status:
  twins:
    - propertyName: setpoint
      desired: { value: "21", metadata: { type: int } }
`;

describe('kedge convert: KubeEdge v1alpha2 -> v1beta1', () => {
  it('converts a Modbus device and model so that they validate and resolve', async () => {
    const result = await convertYaml('thermo.yaml', MODBUS_V1ALPHA2);
    expect(result.converted).toBe(2);
    const [model, device] = result.yaml.split('---\n').map((d) => parse(d));
    expect(model.spec.properties).toEqual([
      { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly', minimum: '-40', maximum: '125', unit: 'C' },
      { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
    ]);
    expect(device.spec).toMatchObject({
      nodeName: 'line-3',
      protocol: {
        protocolName: 'modbus',
        configData: { communicateMode: 'TCP', ip: '10.0.0.5', port: 502, slaveID: 3 },
      },
    });
    expect(device.spec.properties[0]).toEqual({
      name: 'temperature',
      collectCycle: 500,
      visitors: {
        protocolName: 'modbus',
        configData: { register: 'InputRegister', offset: 0, limit: 2, rawType: 'float32' },
      },
    });
    expect(device.spec.properties[1].desired).toEqual({ value: '21' });
    expect(result.notes).toEqual([
      "thermo.yaml: document 1 (DeviceModel thermo): DeviceModel property setpoint: defaultValue 20 has no v1beta1 field; set it as a Device's desired value",
      'thermo.yaml: document 2 (Device thermo-1): Device spec.data (dataProperties, dataTopic) has no v1beta1 field; left out',
    ]);
    const checked = validateSources([{ file: 'thermo.yaml', content: result.yaml }]);
    expect(checked.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(checked.instances[0]).toMatchObject({ id: 'default/thermo-1', protocol: 'modbus', nodeName: 'line-3' });
  });

  it("converts KubeEdge's published v1alpha2 LED example (kubeedge/examples led-raspberrypi)", async () => {
    const text = `${fixture('led-raspberrypi_crds_led-light-device-model.yaml')}---\n${fixture('led-raspberrypi_crds_led-light-device-instance.yaml')}`;
    const result = await convertYaml('led.yaml', text);
    expect(result.converted).toBe(2);
    const checked = validateSources([{ file: 'led.yaml', content: result.yaml }]);
    expect(checked.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    const [instance] = checked.instances;
    expect(instance?.nodeName).toBe('edge-node1');
    expect(instance?.properties.find((p) => p.name === 'power-status')?.desired).toBe('OFF');
    expect(result.notes.some((n) => n.includes('defaultValue "OFF"'))).toBe(true);
  });

  it('copies v1beta1 and other documents unchanged, and names the document of a YAML error', async () => {
    const v1beta1 = fixture('temperature-sensor-demo_crds_temperature-model.yaml');
    const result = await convertYaml('m.yaml', v1beta1);
    expect(result.converted).toBe(0);
    expect(parse(result.yaml)).toEqual(parse(v1beta1));
    await expect(convertYaml('bad.yaml', 'a: 1\n---\nb: [\n')).rejects.toThrow(/bad.yaml: document 2/);
  });
});
