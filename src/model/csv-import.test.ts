import { describe, expect, it } from 'vitest';
import { checkCsvImport, devicesFromCsv } from './csv-import.js';
import type { Device, DeviceModel } from './schema.js';

const model = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'meter', namespace: 'default' },
  spec: { protocol: 'modbus', properties: [{ name: 'power', type: 'FLOAT', accessMode: 'ReadWrite' }] },
} as unknown as DeviceModel;
const template = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name: 'meter-template', namespace: 'default', labels: { site: 'a' } },
  spec: {
    deviceModelRef: { name: 'meter' },
    nodeName: 'line-1',
    protocol: { protocolName: 'modbus', configData: { communicateMode: 'TCP', ip: '10.0.0.1', port: 502, slaveID: 1 } },
    properties: [
      {
        name: 'power',
        visitors: {
          protocolName: 'modbus',
          configData: { register: 'HoldingRegister', offset: 0, limit: 2, rawType: 'float32' },
        },
      },
    ],
  },
  status: { state: 'online' },
} as unknown as Device;

describe('bulk import from CSV', () => {
  it('makes one Device per row from the template: name, node, labels, desired values, configData typed like the template', () => {
    const csv =
      'name,node,ip,slaveID,label.room,desired.power\nmeter-01,line-3,10.0.0.21,7,hall,\n"meter-02",,10.0.0.22,8,,12.5\n';
    const { devices, lines, problems } = devicesFromCsv(csv, template);
    expect(problems).toEqual([]);
    expect(lines).toEqual([2, 3]);
    expect(devices.map((d) => [d.metadata.name, d.spec.nodeName, d.spec.protocol?.configData])).toEqual([
      ['meter-01', 'line-3', { communicateMode: 'TCP', ip: '10.0.0.21', port: 502, slaveID: 7 }],
      ['meter-02', 'line-1', { communicateMode: 'TCP', ip: '10.0.0.22', port: 502, slaveID: 8 }],
    ]);
    expect(devices[0]!.metadata.labels).toEqual({ site: 'a', room: 'hall' });
    expect(devices[1]!.spec.properties![0]!.desired).toEqual({ value: '12.5' });
    expect(devices[0]!.spec.properties![0]!.visitors).toEqual(template.spec.properties![0]!.visitors);
    expect((devices[0] as { status?: unknown }).status).toBeUndefined();
    expect(template.metadata.name).toBe('meter-template'); // the template is not changed
  });

  it('names the line and column of each problem; a bad row is left out', () => {
    const csv = 'name,node,desired.nope\nGood-Name,l,\nmeter-01,l,\nmeter-01,l,\nmeter-02,l,5\n';
    const { devices, problems } = devicesFromCsv(csv, template, 'plant.csv');
    expect(devices.map((d) => d.metadata.name)).toEqual(['meter-01']);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)).toEqual([
      'plant.csv:2:1: column name: "Good-Name" is not a Kubernetes name (lower case letters, digits, - and .)',
      'plant.csv:4:1: device default/meter-01 is also on line 3',
      'plant.csv:5:12: column desired.nope: the template device has no property nope',
    ]);
    expect(devicesFromCsv('node,ip\nx,y\n', template).problems[0]!.message).toMatch(/no "name" column/);
    expect(devicesFromCsv('', template).problems[0]!.message).toMatch(/empty/);
    expect(devicesFromCsv('name\n"unterminated\n', template).problems[0]!.message).toMatch(/^not CSV/);
  });

  it('checks the devices as kedge validate does, each error at its CSV line', async () => {
    const csv = 'name,port\nmeter-01,502\nmeter-02,99999\n';
    const { devices, problems } = await checkCsvImport(csv, template, [model as never]);
    expect(devices).toHaveLength(2);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'import.csv',
        line: 3,
        severity: 'error',
        message: expect.stringContaining('port'),
      }),
    ]);
  });
});
