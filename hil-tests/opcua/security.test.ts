import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaDriver } from '../../mappers/opcua/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { opcuaDevice, property, recorder, type Recorder } from './harness.js';

const props = [property('temp', 'DOUBLE', 'ns=2;s=Line.Temperature', { minimum: 0, maximum: 50 })];
const simDevice = opcuaDevice('line', {}, props);

let sim: OpcuaSim;
let strict: OpcuaSim;
let rec: Recorder;
let driver: OpcuaDriver;

beforeAll(async () => {
  [sim, strict] = await Promise.all([
    startOpcuaSim({
      instances: [simDevice],
      updateIntervalMs: 100,
      users: [{ userName: 'operator', password: 's3cret' }],
      allowAnonymous: false,
    }),
    startOpcuaSim({ instances: [simDevice], updateIntervalMs: 100, acceptUnknownClientCertificates: false }),
  ]);
  rec = await recorder();
  driver = new OpcuaDriver(rec.ctx, { backoff: { initialMs: 200, maxMs: 1000 } });
  await driver.start();
});

afterAll(async () => {
  await driver?.stop();
  await Promise.all([sim?.stop(), strict?.stop()]);
  await rec?.cleanup();
});

const goodValues = (id: string) => rec.readingsOf(id, 'temp').filter((r) => r.quality === 'good').length;
const lastState = (id: string) => rec.states.filter((s) => s.deviceId === id).at(-1);

describe('OPC UA security and identity', () => {
  it('connects with SignAndEncrypt / Basic256Sha256 and a user name', async () => {
    await driver.addDevice(
      opcuaDevice(
        'secure',
        {
          url: sim.endpointUrl,
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          userName: 'operator',
          password: 's3cret',
        },
        props,
      ),
    );
    await rec.waitFor('values over an encrypted channel', () => goodValues('default/secure') >= 2);
    expect(lastState('default/secure')).toEqual({ deviceId: 'default/secure', state: 'online' });
    await driver.removeDevice('default/secure');
  });

  it('connects with Sign / Aes128_Sha256_RsaOaep', async () => {
    await driver.addDevice(
      opcuaDevice(
        'signed',
        {
          url: sim.endpointUrl,
          securityMode: 'Sign',
          securityPolicy: 'Aes128_Sha256_RsaOaep',
          userName: 'operator',
          password: 's3cret',
        },
        props,
      ),
    );
    await rec.waitFor('values over a signed channel', () => goodValues('default/signed') >= 2);
    await driver.removeDevice('default/signed');
  });

  it('keeps a device with a wrong password offline with the reason, without crashing', async () => {
    await driver.addDevice(
      opcuaDevice('intruder', { url: sim.endpointUrl, userName: 'operator', password: 'wrong' }, props),
    );
    await rec.waitFor('offline with a reason', () => lastState('default/intruder')?.state === 'offline');
    expect(lastState('default/intruder')?.reason).toMatch(
      /cannot connect to opc\.tcp:\/\/127\.0\.0\.1:\d+ \(no security, user operator\): .*Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid)/,
    );
    expect(goodValues('default/intruder')).toBe(0);
    await driver.removeDevice('default/intruder');
  });

  it('refuses anonymous access when the server requires a user', async () => {
    await driver.addDevice(opcuaDevice('anonymous', { url: sim.endpointUrl }, props));
    await rec.waitFor('offline', () => lastState('default/anonymous')?.state === 'offline');
    expect(lastState('default/anonymous')?.reason).toMatch(/cannot connect to .*\(no security\)/);
    await driver.removeDevice('default/anonymous');
    await rec.waitFor('no session left on the server', () => sim.sessionCount() === 0);
  });

  it("stays offline with the reason when the server rejects kedge's client certificate", async () => {
    await driver.addDevice(
      opcuaDevice(
        'untrusted',
        { url: strict.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' },
        props,
      ),
    );
    await rec.waitFor('offline', () => lastState('default/untrusted')?.state === 'offline');
    expect(lastState('default/untrusted')?.reason).toMatch(
      /cannot connect to .*SignAndEncrypt\/Basic256Sha256\): .*Bad(SecurityChecksFailed|CertificateUntrusted)/,
    );
    expect(goodValues('default/untrusted')).toBe(0);
    await driver.removeDevice('default/untrusted');
  });
});
