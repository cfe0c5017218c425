/** Small valid documents for the cloud's tests: a Modbus TCP thermostat model and devices of it. */
export function thermostatModel(name = 'thermostat'): Record<string, unknown> {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name, namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: [
        { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'degC' },
        { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite', minimum: '5', maximum: '30' },
      ],
    },
  };
}

export function thermostat(name: string, node: string, model = 'thermostat'): Record<string, unknown> {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name, namespace: 'default' },
    spec: {
      deviceModelRef: { name: model },
      nodeName: node,
      protocol: {
        protocolName: 'modbus',
        configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 5020, slaveID: 1 },
      },
      properties: [
        {
          name: 'temperature',
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'InputRegister', offset: 0, limit: 1, scale: 0.1 },
          },
        },
        {
          name: 'setpoint',
          visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: 0, limit: 1 } },
        },
      ],
    },
  };
}
