import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaDriver } from '../../mappers/opcua/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { opcuaDevice, property, recorder, type Recorder } from './harness.js';

const props = [
  property('temp', 'DOUBLE', 'ns=2;s=Press.Temperature', { minimum: 0, maximum: 50 }),
  property('strokes', 'INT', 'ns=2;s=Press.Strokes', { minimum: 0, maximum: 100000 }),
  property('target', 'DOUBLE', 'ns=2;s=Press.Target', { accessMode: 'ReadWrite' }),
];
const simDevice = opcuaDevice('press', {}, props);

let simPki: string;
let sim: OpcuaSim;

beforeAll(async () => {
  simPki = await mkdtemp(join(tmpdir(), 'kedge-opcua-sim-pki-'));
  sim = await startOpcuaSim({ instances: [simDevice], updateIntervalMs: 100, pkiDir: simPki });
});

afterAll(async () => {
  await sim?.stop();
  await rm(simPki, { recursive: true, force: true });
});

describe('OPC UA faults', () => {
  let rec: Recorder;
  let driver: OpcuaDriver;
  beforeAll(async () => {
    rec = await recorder();
    driver = new OpcuaDriver(rec.ctx, { backoff: { initialMs: 100, maxMs: 400 } });
    await driver.start();
  });
  afterAll(async () => {
    await driver?.stop();
    await rec?.cleanup();
  });

  it('server restart: offline with a reason, back online, subscriptions re-created, one session', async () => {
    const id = 'default/press';
    await driver.addDevice(opcuaDevice('press', { url: sim.endpointUrl }, props));
    await rec.waitFor('first values', () => rec.readingsOf(id, 'temp').length >= 2);
    const port = sim.port;
    await sim.stop();
    await rec.waitFor('offline', () => rec.states.at(-1)?.state === 'offline');
    const offline = rec.states.filter((s) => s.deviceId === id && s.state === 'offline');
    expect(offline[0]!.reason).toMatch(/opc\.tcp:\/\/127\.0\.0\.1:\d+ \(no security\)/);
    await expect(driver.write(id, 'target', 3)).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_NOT_CONNECTED',
      message: /device default\/press property target: .*opc\.tcp/,
    });
    // Restart on the same port with the same certificates, as a PLC reboot would.
    sim = await startOpcuaSim({ instances: [simDevice], updateIntervalMs: 100, pkiDir: simPki, port });
    const seen = rec.readingsOf(id, 'temp').length;
    await rec.waitFor('online again', () => rec.states.at(-1)?.state === 'online');
    await rec.waitFor('values from re-created monitored items', () => rec.readingsOf(id, 'temp').length >= seen + 3);
    expect(rec.readingsOf(id, 'strokes').length).toBeGreaterThan(1);
    expect(sim.sessionCount()).toBe(1);
    expect(await driver.write(id, 'target', 3)).toMatchObject({ value: 3, quality: 'good' });
    const reconnects = await rec.ctx.metrics.getSingleMetricAsString('kedge_opcua_reconnects_total');
    expect(reconnects).toMatch(/kedge_opcua_reconnects_total [1-9]/);
    await driver.removeDevice(id);
    await rec.waitFor('session closed on removal', () => sim.sessionCount() === 0);
  });
});

describe('OPC UA server certificate not trusted', () => {
  it('stays offline with the reason until the certificate is moved to trusted/, then connects', async () => {
    const rec = await recorder();
    const driver = new OpcuaDriver(rec.ctx, {
      acceptUnknownServerCertificates: false,
      backoff: { initialMs: 100, maxMs: 300 },
    });
    try {
      await driver.start();
      const id = 'default/strict';
      await driver.addDevice(
        opcuaDevice(
          'strict',
          { url: sim.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' },
          props,
        ),
      );
      await rec.waitFor('offline', () => rec.states.at(-1)?.state === 'offline');
      expect(rec.states.at(-1)?.reason).toMatch(/cannot connect to .*SignAndEncrypt\/Basic256Sha256.*: .*certificate/i);
      const pki = join(rec.ctx.dataDir, 'opcua-pki');
      const rejected = await readdir(join(pki, 'rejected'));
      expect(rejected.length).toBe(1);
      await mkdir(join(pki, 'trusted', 'certs'), { recursive: true });
      await rename(join(pki, 'rejected', rejected[0]!), join(pki, 'trusted', 'certs', rejected[0]!));
      await rec.waitFor('online after trusting', () => rec.states.at(-1)?.state === 'online');
      await rec.waitFor('values', () => rec.readingsOf(id, 'temp').length > 0);
    } finally {
      await driver.stop();
      await rec.cleanup();
    }
  });

  it('acceptUnknownServerCertificates: false in the device configData refuses an unknown certificate, whatever the driver default', async () => {
    const rec = await recorder();
    const driver = new OpcuaDriver(rec.ctx, { backoff: { initialMs: 100, maxMs: 300 } });
    try {
      await driver.start();
      const config = {
        url: sim.endpointUrl,
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        acceptUnknownServerCertificates: false,
      };
      await driver.addDevice(opcuaDevice('strict-yaml', config, props));
      await rec.waitFor('offline', () => rec.states.at(-1)?.state === 'offline');
      expect(rec.states.at(-1)?.reason).toMatch(/certificate/i);
      expect((await readdir(join(rec.ctx.dataDir, 'opcua-pki', 'rejected'))).length).toBe(1);
      expect(rec.readingsOf('default/strict-yaml', 'temp').filter((r) => r.quality === 'good')).toEqual([]);
    } finally {
      await driver.stop();
      await rec.cleanup();
    }
  });
});
