import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from '../../src/cloud/testing/cloud-under-test.js';
import { RawEdge } from '../../src/cloud/testing/raw-edge.js';
import { runApply } from '../../src/cli/commands/apply.js';
import { runDelete } from '../../src/cli/commands/delete.js';
import { runGet } from '../../src/cli/commands/get.js';
import { runTwinSet } from '../../src/cli/commands/twin.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import { prepareDemoDevice } from '../../src/demo/devices.js';

/** The CLI's commands against a real cloud (store, controllers, API) started in this process. */
describe('kedge apply/get/twin/delete against a cloud', () => {
  let cloud: Awaited<ReturnType<typeof startTestCloud>>;
  let dir: string;
  let file: string;
  let deviceId: string;

  beforeAll(async () => {
    cloud = await startTestCloud();
    dir = mkdtempSync(join(tmpdir(), 'kedge-cli-e2e-'));
    const d = await prepareDemoDevice(join(packageRoot(), 'device-models'), dir, 'io', {
      node: 'edge-cli',
      modbusPort: 1502,
    });
    file = d.file;
    deviceId = d.id;
  });
  afterAll(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (fn: (write: (s: string) => void) => Promise<number>) => {
    let out = '';
    const code = await fn((s) => (out += s));
    return { code, out };
  };

  it('applies a model and a device, then reports them unchanged on a second apply', async () => {
    const first = await run((w) => runApply({ filename: [file], server: cloud.api }, w));
    expect(first.code).toBe(0);
    expect(first.out).toBe(`devicemodel/default/moxa-iologik-e1214 created\ndevice/${deviceId} created\n`);
    const second = await run((w) => runApply({ filename: [file], server: cloud.api }, w));
    expect(second.out).toBe(`devicemodel/default/moxa-iologik-e1214 unchanged\ndevice/${deviceId} unchanged\n`);
  });

  it('applies a Device alone whose DeviceModel is already in the cloud (the server checks the reference)', async () => {
    const text = readFileSync(file, 'utf8');
    const deviceOnly = join(dir, 'device-only.yaml');
    writeFileSync(deviceOnly, text.split('---\n')[1]!);
    expect(readFileSync(deviceOnly, 'utf8')).not.toContain('kind: DeviceModel');
    const applied = await run((w) => runApply({ filename: [deviceOnly], server: cloud.api }, w));
    expect(applied).toEqual({ code: 0, out: `device/${deviceId} unchanged\n` });
    // A model that is neither in the files nor in the cloud: the server names it.
    writeFileSync(
      deviceOnly,
      readFileSync(deviceOnly, 'utf8').replace('name: moxa-iologik-e1214', 'name: no-such-model'),
    );
    const err = await runApply({ filename: [deviceOnly], server: cloud.api }, () => undefined).catch((e: unknown) => e);
    expect(isKedgeError(err) && err.code).toBe('KEDGE_API_INVALID');
    expect((err as Error).message).toContain('DeviceModel no-such-model not found in namespace default');
  });

  it('applies nothing from a file with a misspelled kind, and says which kind was meant', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(
      typo,
      readFileSync(file, 'utf8')
        .replace('name: moxa-iologik-e1214\n', 'name: moxa-typo-model\n')
        .replace('kind: Device\n', 'kind: Devcie\n'),
    );
    const r = await run((w) => runApply({ filename: [typo], server: cloud.api }, w));
    expect(r.code).toBe(1);
    expect(r.out).toContain('error: kind Devcie is not a kind kedge knows; did you mean Device?');
    expect(r.out).toContain('nothing applied');
    const models = await run((w) => runGet('devicemodels', undefined, { server: cloud.api }, w));
    expect(models.out).not.toContain('moxa-typo-model');
  });

  it('lists devices and models as a table, JSON and YAML', async () => {
    const table = await run((w) => runGet('devices', undefined, { server: cloud.api }, w));
    expect(table.out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+MODEL\s+NODE\s+PROTOCOL\s+STATE\s+REASON$/);
    expect(table.out).toMatch(
      new RegExp(`default\\s+${deviceId.split('/')[1]}\\s+moxa-iologik-e1214\\s+edge-cli\\s+modbus`),
    );
    const json = JSON.parse(
      (await run((w) => runGet('devices', undefined, { server: cloud.api, output: 'json' }, w))).out,
    ) as { items: Array<{ metadata: { name: string } }> };
    expect(json.items.map((d) => d.metadata.name)).toEqual([deviceId.split('/')[1]]);
    const yaml = await run((w) => runGet('devicemodels', undefined, { server: cloud.api, output: 'yaml' }, w));
    expect(yaml.out).toContain('name: moxa-iologik-e1214');
    const nodes = await run((w) => runGet('nodes', undefined, { server: cloud.api, output: 'json' }, w));
    expect(JSON.parse(nodes.out)).toHaveProperty('items');
  });

  it('sets a desired value and shows it in the twin (pending: no edge is connected)', async () => {
    const set = await run((w) => runTwinSet(deviceId, ['relay-1=true'], { server: cloud.api, output: 'json' }, w));
    expect(set.code).toBe(0);
    const twin = JSON.parse(
      (await run((w) => runGet('twin', deviceId, { server: cloud.api, output: 'json' }, w))).out,
    ) as { properties: Record<string, { desired?: { value: string } }> };
    expect(twin.properties['relay-1']!.desired!.value).toBe('true');
    const table = await run((w) => runGet('twin', deviceId, { server: cloud.api }, w));
    expect(table.out).toMatch(/relay-1\s+true\s+-/);
  });

  it('fails --wait with the reason when no device confirms', async () => {
    const err = await runTwinSet(deviceId, ['relay-2=true'], { server: cloud.api, wait: '300' }, () => undefined).catch(
      (e: unknown) => e,
    );
    expect(isKedgeError(err) && err.code).toBe('KEDGE_CLIENT_NOT_CONFIRMED');
    expect((err as Error).message).toContain('relay-2 not confirmed');
  });

  it("shows the server's error for an unknown device and for a model in use", async () => {
    const missing = await runGet('twin', 'default/nope', { server: cloud.api }, () => undefined).catch(
      (e: unknown) => e,
    );
    expect(isKedgeError(missing) && missing.code).toBe('KEDGE_API_NOT_FOUND');
    const inUse = await runDelete(
      'devicemodel',
      'default/moxa-iologik-e1214',
      { server: cloud.api },
      () => undefined,
    ).catch((e: unknown) => e);
    expect(isKedgeError(inUse) && inUse.code).toBe('KEDGE_API_IN_USE');
  });

  it('deletes the device, then the model', async () => {
    expect((await run((w) => runDelete('device', deviceId, { server: cloud.api }, w))).out).toBe(
      `device/${deviceId} deleted\n`,
    );
    expect(
      (await run((w) => runDelete('devicemodel', 'default/moxa-iologik-e1214', { server: cloud.api }, w))).out,
    ).toBe('devicemodel/default/moxa-iologik-e1214 deleted\n');
    const table = await run((w) => runGet('devices', undefined, { server: cloud.api }, w));
    expect(table.out).toBe('No resources found.\n');
  });

  it('deletes a node only when no Device names it and it is not connected', async () => {
    const nodeNames = async () =>
      (
        JSON.parse((await run((w) => runGet('nodes', undefined, { server: cloud.api, output: 'json' }, w))).out) as {
          items: Array<{ name: string }>;
        }
      ).items.map((n) => n.name);
    const refused = (name: string) =>
      runDelete('node', name, { server: cloud.api }, () => undefined).then(
        () => new Error('not refused'),
        (e: unknown) => e as Error,
      );
    // A Device names it: refused, naming the Device.
    expect((await run((w) => runApply({ filename: [file], server: cloud.api }, w))).code).toBe(0);
    await waitUntil(async () => (await nodeNames()).includes('edge-cli'), 'node edge-cli registered for its device');
    const named = await refused('edge-cli');
    expect(isKedgeError(named) && named.code).toBe('KEDGE_API_IN_USE');
    expect(named.message).toContain(`Node edge-cli is named by 1 Device(s): ${deviceId}`);
    await run((w) => runDelete('device', deviceId, { server: cloud.api }, w));
    // Connected: refused (it would register again).
    const edge = await RawEdge.connect(cloud.cloud.ports.hub, 'edge-cli');
    await waitUntil(
      async () => /edge-cli\s+Ready/.test((await run((w) => runGet('nodes', undefined, { server: cloud.api }, w))).out),
      'edge-cli ready',
    );
    const connected = await refused('edge-cli');
    expect(isKedgeError(connected) && connected.code).toBe('KEDGE_API_IN_USE');
    expect(connected.message).toContain('Node edge-cli is connected');
    edge.ws.close();
    await waitUntil(
      async () =>
        /edge-cli\s+NotReady/.test((await run((w) => runGet('nodes', undefined, { server: cloud.api }, w))).out),
      'edge-cli not ready',
    );
    expect((await run((w) => runDelete('node', 'edge-cli', { server: cloud.api }, w))).out).toBe(
      'node/edge-cli deleted\n',
    );
    expect(await nodeNames()).not.toContain('edge-cli');
    const again = await refused('edge-cli');
    expect(isKedgeError(again) && again.code).toBe('KEDGE_API_NOT_FOUND');
  });
});

async function waitUntil(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await cond()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
