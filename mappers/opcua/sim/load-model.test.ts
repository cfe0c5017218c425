import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpcuaInstances } from './load-model.js';

const MODEL = `apiVersion: devices.kubeedge.io/v1beta1
kind: DeviceModel
metadata: { name: m }
spec:
  protocol: opcua
  properties:
    - { name: t, type: double, accessMode: ReadOnly }
`;
const device = (protocol: string, nodeID: string) => `apiVersion: devices.kubeedge.io/v1beta1
kind: Device
metadata: { name: d-${protocol} }
spec:
  deviceModelRef: { name: m }
  protocol:
    protocolName: ${protocol}
    configData: { url: "opc.tcp://127.0.0.1:4840" }
  properties:
    - name: t
      visitors: { protocolName: ${protocol}, configData: { nodeID: "${nodeID}" } }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kedge-opcua-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOpcuaInstances', () => {
  it('resolves the OPC UA devices of the files', async () => {
    await writeFile(join(dir, 'ok.yaml'), `${MODEL}---\n${device('opcua', 'ns=2;s=T')}`);
    const [inst, ...rest] = await loadOpcuaInstances([join(dir, 'ok.yaml')]);
    expect(rest).toEqual([]);
    expect(inst).toMatchObject({
      id: 'default/d-opcua',
      protocol: 'opcua',
      properties: [{ name: 't', type: 'DOUBLE', visitor: { nodeID: 'ns=2;s=T' } }],
    });
  });

  it('stops with positioned diagnostics for an invalid nodeID', async () => {
    await writeFile(join(dir, 'bad.yaml'), `${MODEL}---\n${device('opcua', 'Temperature')}`);
    await expect(loadOpcuaInstances([join(dir, 'bad.yaml')])).rejects.toThrow(/bad\.yaml:\d+:\d+: error: .*nodeID/);
  });

  it('says so when no device uses opcua', async () => {
    await writeFile(join(dir, 'model-only.yaml'), MODEL);
    await expect(loadOpcuaInstances([join(dir, 'model-only.yaml')])).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_SIM_MODEL',
      message: /no Device with protocolName opcua/,
    });
  });
});
