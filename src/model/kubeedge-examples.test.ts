import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../core/yaml/index.js';
import { validateFiles } from './validate.js';

/**
 * KubeEdge's published examples (kubeedge/examples, Apache-2.0, copied unchanged into
 * fixtures/kubeedge/) must validate: the v1beta1 ones with warnings only for legacy nanosecond
 * cycles; the v1alpha2 LED files are refused with the conversion named (`kedge convert`), and
 * their conversion validates.
 */
const dir = new URL('./fixtures/kubeedge/', import.meta.url).pathname;
const file = (name: string) => `${dir}${name}`;

describe('KubeEdge published examples', () => {
  it('validate with warnings only where a unit was converted (v1alpha2 refused, naming kedge convert)', async () => {
    const result = await validateFiles([dir]);
    const relative = result.diagnostics.map((d) => formatDiagnostic(d).replaceAll(dir, ''));
    expect(relative).toEqual([
      "led-raspberrypi_crds_led-light-device-instance.yaml:1:13: error: apiVersion devices.kubeedge.io/v1alpha2 is KubeEdge's format before v1.15, which kedge does not read: convert it to devices.kubeedge.io/v1beta1 with `kedge convert led-raspberrypi_crds_led-light-device-instance.yaml`",
      "led-raspberrypi_crds_led-light-device-model.yaml:1:13: error: apiVersion devices.kubeedge.io/v1alpha2 is KubeEdge's format before v1.15, which kedge does not read: convert it to devices.kubeedge.io/v1beta1 with `kedge convert led-raspberrypi_crds_led-light-device-model.yaml`",
      'sound-equipment-fault-detection_vled_resource_vled-instance.yaml:27:20: warning: spec.properties[0].reportCycle: 1000000000 is legacy nanoseconds (KubeEdge before v1.19); read as 1000 ms. Write 1000 to silence this warning',
      'sound-equipment-fault-detection_vled_resource_vled-instance.yaml:28:21: warning: spec.properties[0].collectCycle: 1000000000 is legacy nanoseconds (KubeEdge before v1.19); read as 1000 ms. Write 1000 to silence this warning',
    ]);
    expect(result.instances.map((i) => i.id).sort()).toEqual([
      'default/counter-instance',
      'default/temperature-instance',
      'default/vled-instance-01',
    ]);
  });

  it('resolves the Modbus temperature sensor as KubeEdge means it', async () => {
    const result = await validateFiles([
      file('temperature-sensor-demo_crds_temperature-model.yaml'),
      file('temperature-sensor-demo_crds_temperature-instance.yaml'),
    ]);
    expect(result.diagnostics).toEqual([]);
    const [instance] = result.instances;
    expect(instance).toMatchObject({
      id: 'default/temperature-instance',
      protocol: 'modbus',
      nodeName: 'kind-worker',
      protocolConfig: { communicateMode: 'TCP', port: '5502', slaveID: 1, ip: '10.244.1.13' },
    });
    expect(instance?.properties[0]).toMatchObject({
      name: 'temperature',
      type: 'FLOAT',
      minimum: 0,
      maximum: 100,
      unit: 'Celsius',
      collectCycleMs: 10000,
      visitor: { dataType: 'float', register: 'HoldingRegister', offset: 0, limit: 1, scale: 0.1, max: 100, min: 1 },
    });
    expect(instance?.properties[1]).toMatchObject({ name: 'temperature-switch', type: 'INT', desired: '1' });
  });

  it('reads legacy nanosecond cycles of the virtual LED as 1000 ms and keeps its status', async () => {
    const result = await validateFiles([
      file('sound-equipment-fault-detection_vled_resource_vled-model.yaml'),
      file('sound-equipment-fault-detection_vled_resource_vled-instance.yaml'),
    ]);
    expect(result.instances[0]?.properties[0]).toMatchObject({
      collectCycleMs: 1000,
      reportCycleMs: 1000,
      reportToCloud: true,
    });
    expect(result.devices[0]?.status).toMatchObject({
      twins: [{ propertyName: 'status', reported: { value: '100' } }],
    });
  });

  it('accepts the counter demo whose protocol configData holds only a comment (null)', async () => {
    const result = await validateFiles([
      file('new-counter-demo_crds_counter-model.yaml'),
      file('new-counter-demo_crds_counter-instance.yaml'),
    ]);
    expect(result.diagnostics).toEqual([]);
    expect(result.instances[0]).toMatchObject({ protocol: 'virtualprotocol', protocolConfig: {} });
    expect(result.devices[0]?.spec.methods?.map((m) => m.name)).toEqual(['UpdateStatus', 'SetCount']);
  });
});
