/** Devices and an in-process edge node for the edge hil-tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { EdgeConfigSchema, type EdgeConfig } from '../../src/core/config/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { inProcessMappers } from '../../src/cli/inprocess-mappers.js';
import { createEdgeNode, type EdgeNode, type EdgeNodeOptions } from '../../src/edge/index.js';

export const NODE = 'edge-hil';

export function thermostatModel() {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'thermostat', namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: [
        {
          name: 'temperature',
          type: 'FLOAT',
          accessMode: 'ReadOnly',
          unit: 'degC',
          cleansing: { range: { min: -40, max: 125, action: 'reject' } },
        },
        { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
        { name: 'relay', type: 'BOOLEAN', accessMode: 'ReadWrite' },
      ],
    },
  };
}

export function thermostat(name: string, annotations: Record<string, string> = {}, port = 502) {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      deviceModelRef: { name: 'thermostat' },
      nodeName: NODE,
      protocol: { protocolName: 'modbus', configData: { communicateMode: 'TCP', ip: '127.0.0.1', port, slaveID: 1 } },
      properties: [
        {
          name: 'temperature',
          reportToCloud: true,
          collectCycle: 200,
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'HoldingRegister', offset: 0, limit: 1, rawType: 'int16', scale: 0.1 },
          },
        },
        {
          name: 'setpoint',
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'HoldingRegister', offset: 1, limit: 1, rawType: 'int16' },
          },
        },
        {
          name: 'relay',
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'CoilRegister', offset: 0, limit: 1, rawType: 'bool' },
          },
        },
      ],
    },
  };
}

export function edgeConfig(dataDir: string, overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  const base = Value.Default(EdgeConfigSchema, { node: NODE, dataDir }) as EdgeConfig;
  return { ...base, mqtt: { ...base.mqtt, port: 0 }, apiPort: 0, servicebusPort: 0, mappers: 'none', ...overrides };
}

export interface RunningEdge {
  node: EdgeNode;
  dataDir: string;
  close(): Promise<void>;
}

/** An edge node in this process on free loopback ports, with its own temp data dir. */
export async function startEdge(
  overrides: Partial<EdgeConfig> = {},
  options: Partial<EdgeNodeOptions> = {},
  dataDir?: string,
): Promise<RunningEdge> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'kedge-edge-hil-')));
  const node = createEdgeNode(edgeConfig(dir, overrides), {
    logger: silentLogger(),
    inProcessMapper: inProcessMappers,
    ...options,
  });
  await node.start();
  return {
    node,
    dataDir: dir,
    close: async () => {
      await node.stop();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
