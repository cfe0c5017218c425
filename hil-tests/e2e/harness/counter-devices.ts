import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/**
 * Devices whose readings the test itself publishes on the edge's mapper topic (the edge runs with
 * --mappers none): the test then knows every reading it produced.
 */
export function writeCounterDevices(
  file: string,
  node: string,
  count: number,
  /** `noise`: a STRING property `n` for SyntheticMapper's random text (readings that do not compress). */
  options: { writable?: boolean; noise?: boolean } = {},
): string[] {
  const model = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'e2e-counter', namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: [
        { name: 'a', type: 'INT', accessMode: 'ReadOnly' },
        { name: 'b', type: 'INT', accessMode: 'ReadOnly' },
        // A set point for desired values (no mapper writes it: the edge's twin holds the desired value).
        ...(options.writable ? [{ name: 'sp', type: 'INT', accessMode: 'ReadWrite' }] : []),
        ...(options.noise ? [{ name: 'n', type: 'STRING', accessMode: 'ReadOnly' }] : []),
      ],
    },
  };
  const visitor = (offset: number) => ({
    protocolName: 'modbus',
    configData: { register: 'HoldingRegister', offset, limit: 1, rawType: 'uint16', dataType: 'int' },
  });
  const ids: string[] = [];
  const docs = [stringify(model)];
  for (let i = 0; i < count; i++) {
    const name = `counter-${i}`;
    ids.push(`default/${name}`);
    docs.push(
      stringify({
        apiVersion: 'devices.kubeedge.io/v1beta1',
        kind: 'Device',
        metadata: { name, namespace: 'default' },
        spec: {
          deviceModelRef: { name: 'e2e-counter' },
          nodeName: node,
          protocol: {
            protocolName: 'modbus',
            configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 1502, slaveID: 1 },
          },
          properties: [
            { name: 'a', reportToCloud: true, visitors: visitor(0) },
            { name: 'b', reportToCloud: true, visitors: visitor(1) },
            ...(options.writable ? [{ name: 'sp', visitors: visitor(2) }] : []),
            ...(options.noise
              ? [
                  {
                    name: 'n',
                    reportToCloud: true,
                    visitors: {
                      protocolName: 'modbus',
                      configData: {
                        register: 'HoldingRegister',
                        offset: 8,
                        limit: 32,
                        rawType: 'string',
                        dataType: 'string',
                      },
                    },
                  },
                ]
              : []),
          ],
        },
      }),
    );
  }
  writeFileSync(file, docs.join('---\n'));
  return ids;
}
