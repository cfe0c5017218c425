import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaDriver } from '../../mappers/opcua/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import { opcuaDevice, property, recorder, type Recorder } from './harness.js';

// The simulator's modeled device: values change every 100 ms.
const simDevice = opcuaDevice('oven', {}, [
  property('temp', 'DOUBLE', 'ns=2;s=Oven.Temperature', { minimum: 20, maximum: 250 }),
  property('count', 'INT', 'ns=1;i=1001', { minimum: 0, maximum: 1000 }),
  property('sensor', 'DOUBLE', 'ns=2;s=Oven.Sensor'),
  property('setpoint', 'DOUBLE', 'ns=2;s=Oven.Setpoint', { accessMode: 'ReadWrite', desired: '180' }),
  property('label', 'STRING', 'ns=2;s=Oven.Label', { accessMode: 'ReadWrite' }),
  property('enabled', 'BOOLEAN', 'ns=2;s=Oven.Enabled', { accessMode: 'ReadWrite' }),
]);

let sim: OpcuaSim;
let refusing: OpcuaSim;
let rec: Recorder;
let driver: OpcuaDriver;

beforeAll(async () => {
  [sim, refusing] = await Promise.all([
    startOpcuaSim({ instances: [simDevice], updateIntervalMs: 100 }),
    startOpcuaSim({ instances: [simDevice], updateIntervalMs: 100, refuseSubscriptions: true }),
  ]);
  rec = await recorder();
  driver = new OpcuaDriver(rec.ctx);
  await driver.start();
});

afterAll(async () => {
  await driver?.stop();
  await Promise.all([sim?.stop(), refusing?.stop()]);
  await rec?.cleanup();
});

// A removed device's session closes in the background (the driver gives disconnect 3 s, the
// server may take longer under load): the next test starts only once both servers hold no
// session, so that its session counts are its own.
afterEach(async () => {
  await rec.waitFor(
    'the previous sessions closed on the servers',
    () => sim.sessionCount() === 0 && refusing.sessionCount() === 0,
    30_000,
  );
});

function device(name: string, config: Record<string, unknown>, props = simDevice.properties) {
  return opcuaDevice(name, { url: sim.endpointUrl, ...config }, props);
}

const distinctGood = (id: string, prop: string) =>
  new Set(
    rec
      .readingsOf(id, prop)
      .filter((r) => r.quality === 'good')
      .map((r) => r.value),
  ).size;

describe('OPC UA driver against the simulator', () => {
  it('subscribes: changing values arrive, batched per publish, unknown nodes are bad with the status name', async () => {
    const props = [...simDevice.properties.slice(0, 2), property('missing', 'DOUBLE', 'ns=2;s=Oven.DoesNotExist')];
    await driver.addDevice(device('sub', {}, props));
    await rec.waitFor('3 distinct temperatures', () => distinctGood('default/sub', 'temp') >= 3);
    expect(driver.pollingReason('default/sub')).toBeUndefined();
    expect(rec.states).toContainEqual({ deviceId: 'default/sub', state: 'online' });
    const temps = rec.readingsOf('default/sub', 'temp');
    expect(temps.every((r) => typeof r.value === 'number' && r.value >= 20 && r.value <= 250 && r.ts > 0)).toBe(true);
    const counts = rec.readingsOf('default/sub', 'count');
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((r) => Number.isInteger(r.value))).toBe(true);
    await rec.waitFor('the missing node reported', () => rec.readingsOf('default/sub', 'missing').length > 0);
    expect(rec.readingsOf('default/sub', 'missing')[0]).toMatchObject({
      value: null,
      quality: 'bad',
      reason: 'BadNodeIdUnknown',
    });
    // The first publish carries the initial value of every item: one batch, several properties.
    expect(
      rec.batches.some((b) => b.deviceId === 'default/sub' && new Set(b.readings.map((r) => r.property)).size >= 2),
    ).toBe(true);
    await driver.removeDevice('default/sub');
  });

  it('reports a Bad status as quality bad with its name, and recovers', async () => {
    await driver.addDevice(device('status', {}, [simDevice.properties[2]!]));
    await rec.waitFor('a first sensor value', () =>
      rec.readingsOf('default/status', 'sensor').some((r) => r.quality === 'good'),
    );
    sim.setStatus('ns=2;s=Oven.Sensor', 'BadSensorFailure');
    await rec.waitFor('a bad sensor value', () =>
      rec.readingsOf('default/status', 'sensor').some((r) => r.quality === 'bad'),
    );
    expect(rec.readingsOf('default/status', 'sensor').find((r) => r.quality === 'bad')).toMatchObject({
      value: null,
      reason: 'BadSensorFailure',
    });
    // Good again: the simulator's signal moves it on from here.
    sim.setValue('ns=2;s=Oven.Sensor', 99.5);
    const sensor = () => rec.readingsOf('default/status', 'sensor');
    await rec.waitFor('the sensor good again', () =>
      sensor()
        .slice(sensor().findIndex((r) => r.quality === 'bad'))
        .some((r) => r.quality === 'good'),
    );
    await driver.removeDevice('default/status');
  });

  it('writes with the variable data type and returns the read-back', async () => {
    await driver.addDevice(device('writer', {}));
    await rec.waitFor('writer online', () =>
      rec.states.some((s) => s.deviceId === 'default/writer' && s.state === 'online'),
    );
    expect(await driver.write('default/writer', 'setpoint', 42.5)).toMatchObject({
      property: 'setpoint',
      value: 42.5,
      quality: 'good',
    });
    expect(sim.getValue('ns=2;s=Oven.Setpoint')).toBe(42.5);
    expect(await driver.write('default/writer', 'label', 'batch-7')).toMatchObject({
      value: 'batch-7',
      quality: 'good',
    });
    expect(await driver.write('default/writer', 'enabled', true)).toMatchObject({ value: true, quality: 'good' });
    expect(sim.getValue('oven/enabled')).toBe(true);
    await expect(driver.write('default/writer', 'temp', 1)).rejects.toMatchObject({ code: 'KEDGE_OPCUA_READ_ONLY' });
    await expect(driver.write('default/writer', 'nope', 1)).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_UNKNOWN_PROPERTY',
    });
    await driver.removeDevice('default/writer');
  });

  it('reports the server refusing a write with the status name', async () => {
    // The model says ReadWrite, the server's variable is read-only.
    const lying = property('temp', 'DOUBLE', 'ns=2;s=Oven.Temperature', { accessMode: 'ReadWrite' });
    await driver.addDevice(device('refused-write', {}, [lying]));
    await rec.waitFor('online', () =>
      rec.states.some((s) => s.deviceId === 'default/refused-write' && s.state === 'online'),
    );
    let caught: unknown;
    await driver.write('default/refused-write', 'temp', 5).catch((err: unknown) => (caught = err));
    expect(isKedgeError(caught) && caught.code).toBe('KEDGE_OPCUA_WRITE_REJECTED');
    expect((caught as Error).message).toMatch(
      /device default\/refused-write property temp: .*Bad(NotWritable|UserAccessDenied)/,
    );
    await driver.removeDevice('default/refused-write');
  });

  it('shares one session per server, reference-counted across devices', async () => {
    await driver.addDevice(device('a', {}, simDevice.properties.slice(0, 1)));
    await driver.addDevice(device('b', {}, simDevice.properties.slice(1, 2)));
    await rec.waitFor(
      'both devices receive values',
      () => rec.readingsOf('default/a', 'temp').length > 0 && rec.readingsOf('default/b', 'count').length > 0,
    );
    expect(driver.sessionCount).toBe(1);
    expect(sim.sessionCount()).toBe(1);
    await driver.removeDevice('default/a');
    const before = rec.readingsOf('default/b', 'count').length;
    await rec.waitFor(
      'b keeps receiving after a is removed',
      () => rec.readingsOf('default/b', 'count').length > before + 2,
    );
    expect(sim.sessionCount()).toBe(1);
    await driver.removeDevice('default/b');
    expect(driver.sessionCount).toBe(0);
    await rec.waitFor('the server closed the session', () => sim.sessionCount() === 0);
  });

  it('lets devices on one session differ in subscribe', async () => {
    await driver.addDevice(device('subscriber', {}, simDevice.properties.slice(0, 1)));
    await driver.addDevice(device('reader', { subscribe: false }, simDevice.properties.slice(0, 1)));
    await rec.waitFor(
      'both get values',
      () => distinctGood('default/subscriber', 'temp') >= 2 && distinctGood('default/reader', 'temp') >= 2,
    );
    expect(driver.sessionCount).toBe(1);
    expect(driver.pollingReason('default/subscriber')).toBeUndefined();
    expect(driver.pollingReason('default/reader')).toMatch(/subscribe: false/);
    await driver.removeDevice('default/subscriber');
    await driver.removeDevice('default/reader');
  });

  it('finds properties by browseName (a path below Objects) when they have no nodeID', async () => {
    const byPath = (name: string, type: 'DOUBLE', browseName: string, extra = {}) =>
      property(name, type, 'unused', { visitor: { browseName }, ...extra });
    const props = [
      byPath('temp', 'DOUBLE', 'oven/temp'),
      byPath('setpoint', 'DOUBLE', 'oven/2:setpoint', { accessMode: 'ReadWrite' }),
      byPath('lost', 'DOUBLE', 'oven/nope', { accessMode: 'ReadWrite' }),
    ];
    await driver.addDevice(device('browsed', {}, props));
    await rec.waitFor('values by browse path', () => distinctGood('default/browsed', 'temp') >= 2);
    expect(rec.readingsOf('default/browsed', 'lost')[0]).toMatchObject({
      value: null,
      quality: 'bad',
      reason: 'browse path "oven/nope": Objects/oven has no child "nope"',
    });
    expect(await driver.write('default/browsed', 'setpoint', 77)).toMatchObject({ value: 77, quality: 'good' });
    expect(sim.getValue('ns=2;s=Oven.Setpoint')).toBe(77);
    await expect(driver.write('default/browsed', 'lost', 1)).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_WRITE_REJECTED',
      message: /property lost: browse path "oven\/nope": Objects\/oven has no child "nope"/,
    });
    await driver.removeDevice('default/browsed');
  });

  it('refuses a device without nodeID or browseName, naming it, and opens no session for it', async () => {
    const noNode = property('temp', 'DOUBLE', 'unused', { visitor: {} });
    await expect(driver.addDevice(device('no-node', {}, [noNode]))).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_INVALID_VISITOR',
      message: expect.stringMatching(/device default\/no-node property temp: visitors.configData needs nodeID/),
    });
    expect(driver.sessionCount).toBe(0);
    await expect(driver.write('default/no-node', 'temp', 1)).rejects.toMatchObject({
      code: 'KEDGE_OPCUA_UNKNOWN_DEVICE',
    });
  });

  it('polls every collect cycle when subscribe is false', async () => {
    await driver.addDevice(device('poller', { subscribe: false }, simDevice.properties.slice(0, 2)));
    await rec.waitFor('polled changing values', () => distinctGood('default/poller', 'temp') >= 3);
    expect(driver.pollingReason('default/poller')).toMatch(/subscribe: false/);
    // A poll reads every property of the cycle in one batch.
    expect(rec.batches.filter((b) => b.deviceId === 'default/poller').every((b) => b.readings.length === 2)).toBe(true);
    await driver.removeDevice('default/poller');
  });

  it('falls back to polling when the server refuses subscriptions', async () => {
    await driver.addDevice(opcuaDevice('refused', { url: refusing.endpointUrl }, simDevice.properties.slice(0, 1)));
    await rec.waitFor('values from polling', () => distinctGood('default/refused', 'temp') >= 3);
    expect(driver.pollingReason('default/refused')).toMatch(/BadTooManySubscriptions/);
    await driver.removeDevice('default/refused');
  });
});
