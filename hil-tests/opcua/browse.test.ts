/**
 * The tag browser's OPC UA browsing (mappers/opcua/browse.ts, `kedge opcua-browse`) against the
 * simulator serving the library's Unified Automation demo server model.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaBrowser, type BrowsedNode } from '../../mappers/opcua/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/index.js';
import { runKedge } from '../e2e/harness/kedge.js';

const MODEL = join(packageRoot(), 'device-models', 'unified-automation-uacppserver.yaml');

describe('OPC UA tag browsing', () => {
  let sim: OpcuaSim;
  let dataDir: string;
  let browser: OpcuaBrowser;

  beforeAll(async () => {
    sim = await startOpcuaSim({ files: [MODEL], updateIntervalMs: 500 });
    dataDir = await mkdtemp(join(tmpdir(), 'kedge-browse-'));
    browser = new OpcuaBrowser({ dataDir, logger: silentLogger(), clock: systemClock });
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the Objects folder, then a device object with each variable’s type, property type, access and value', async () => {
    const root = await browser.browse({ url: sim.endpointUrl });
    expect(root.nodeId).toBe('i=85');
    const device = root.nodes.find((n) => n.displayName === 'ua-demo-server')!;
    expect(device).toMatchObject({ nodeClass: 'Object', hasChildren: true });
    const vars = (await browser.browse({ url: sim.endpointUrl, nodeId: device.nodeId })).nodes;
    const by = (name: string) => vars.find((v) => v.displayName === name) as BrowsedNode;
    expect(by('temperature')).toMatchObject({
      nodeId: 'ns=3;s=AirConditioner_1.Temperature',
      nodeClass: 'Variable',
      dataType: 'Double',
      propertyType: 'DOUBLE',
      writable: false,
    });
    expect(typeof by('temperature').value).toBe('number');
    expect(by('setpoint')).toMatchObject({ dataType: 'Double', propertyType: 'DOUBLE', writable: true, value: 21.5 });
    expect(by('enabled')).toMatchObject({ dataType: 'Boolean', propertyType: 'BOOLEAN', writable: true });
    expect(by('batch-id')).toMatchObject({ dataType: 'String', propertyType: 'STRING' });
    expect(by('counter')).toMatchObject({ dataType: 'Int32', propertyType: 'INT' });
  });

  it('says why it cannot: a node id that is not one, an unknown node, a server that is not there', async () => {
    const fail = async (p: Parameters<OpcuaBrowser['browse']>[0]) => {
      try {
        await browser.browse(p);
      } catch (err) {
        if (isKedgeError(err)) return { code: err.code, message: err.message, status: err.status };
        throw err;
      }
      throw new Error('no error');
    };
    expect(await fail({ url: sim.endpointUrl, nodeId: 'not a node id' })).toMatchObject({
      code: 'KEDGE_OPCUA_INVALID_CONFIG',
      status: 400,
    });
    expect(await fail({ url: sim.endpointUrl, nodeId: 'ns=7;s=Nothing' })).toMatchObject({
      code: 'KEDGE_OPCUA_BROWSE_UNKNOWN_NODE',
      message: expect.stringContaining('BadNodeIdUnknown'),
      status: 404,
    });
    expect(await fail({ url: 'http://x' })).toMatchObject({ code: 'KEDGE_OPCUA_INVALID_CONFIG', status: 400 });
    const closed = await freePort();
    expect(await fail({ url: `opc.tcp://127.0.0.1:${closed}` })).toMatchObject({
      code: 'KEDGE_OPCUA_CONNECT',
      message: expect.stringContaining(`127.0.0.1:${closed}`),
      status: 502,
    });
  });

  it('kedge opcua-browse prints the variables as a table and as JSON', async () => {
    // The library test's client certificate: a new one costs seconds of key generation per run.
    const dir = dataDir;
    const table = await runKedge(['opcua-browse', sim.endpointUrl, 'ns=1;i=1000', '--data-dir', dir], {
      timeoutMs: 90_000,
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CLASS\s+NODE ID\s+NAME\s+TYPE\s+PROPERTY\s+ACCESS\s+VALUE$/m);
    expect(table.stdout).toMatch(
      /^Variable\s+ns=2;s=Demo\.Static\.Scalar\.Double\s+setpoint\s+Double\s+DOUBLE\s+rw\s+21\.5$/m,
    );
    const json = await runKedge(['opcua-browse', sim.endpointUrl, '-o', 'json', '--data-dir', dir], {
      timeoutMs: 90_000,
    });
    expect(JSON.parse(json.stdout).nodes.map((n: { displayName: string }) => n.displayName)).toContain(
      'ua-demo-server',
    );
    const bad = await runKedge(['opcua-browse', 'nonsense', '--data-dir', dir], { timeoutMs: 90_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/kedge opcua-browse: KEDGE_OPCUA_INVALID_CONFIG/);
  });
});
