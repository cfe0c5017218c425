import { afterEach, describe, expect, it } from 'vitest';
import { isKedgeError } from '../../src/core/errors/index.js';
import { createDriver } from './index.js';
import { formatNmea } from './nmea.js';
import { counter, device, property, recordingContext, type RecordingContext } from './testing/context.js';
import { FakePorts, flush } from './testing/fake-port.js';
import type { ProtocolDriver } from '../sdk/contract.js';

const GGA = formatNmea('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');
const RMC = formatNmea('GPRMC,123519,A,4807.038,N,01131.000,W,022.4,084.4,230394,003.1,W');

function gps(name = 'gps', serialPort = '/dev/ttyGPS') {
  return device(name, 'serial', { serialPort, framing: { type: 'nmea' }, mode: 'stream' }, [
    property('lat', 'DOUBLE', { sentence: 'GGA', field: 'latitude' }),
    property('sats', 'INT', { sentence: 'GGA', field: 'satellites' }),
    property('lon', 'DOUBLE', { sentence: 'RMC', field: 'longitude' }),
    property('status', 'STRING', { sentence: 'RMC', field: 'status' }),
  ]);
}

function hmp(name = 'hmp', serialPort = '/dev/ttyHMP', address = '') {
  const command = `SEND${address}\\r`;
  return device(
    name,
    'serial',
    {
      serialPort,
      baudRate: 4800,
      dataBits: 7,
      parity: 'even',
      framing: { type: 'delimiter', delimiter: '\r\n' },
      mode: 'request',
    },
    [
      property('temperature', 'FLOAT', { command, pattern: "T=\\s*(-?\\d+(?:\\.\\d+)?)\\s*'C" }),
      property('humidity', 'FLOAT', { command, pattern: 'RH=\\s*(?<rh>\\d+(?:\\.\\d+)?)\\s*%RH', group: 'rh' }),
    ],
  );
}

let ctx: RecordingContext;
let ports: FakePorts;
let driver: ProtocolDriver;

async function setUp(options: Parameters<typeof createDriver>[1] = {}) {
  ctx = recordingContext();
  ports = new FakePorts();
  driver = createDriver(ctx, { opener: ports.opener, reopen: { initialMs: 500, maxMs: 2000 }, ...options });
  await driver.start();
}

afterEach(async () => {
  await driver.stop();
  expect(ctx.clock.pending).toBe(0);
});

describe('serial driver, stream mode', () => {
  it('one readings call per NMEA sentence with the properties it carried', async () => {
    await setUp();
    await driver.addDevice(gps());
    await flush();
    expect(ports.opened[0]).toEqual({ path: '/dev/ttyGPS', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    expect(ctx.states).toContainEqual({ device: 'default/gps', state: 'online' });
    ports.send(`${GGA}\r\n${RMC.slice(0, 20)}`);
    ports.send(`${RMC.slice(20)}\r\n`);
    expect(ctx.calls).toHaveLength(2);
    expect(ctx.calls[0]!.readings.map((r) => [r.property, r.value, r.quality])).toEqual([
      ['lat', expect.closeTo(48.1173, 6), 'good'],
      ['sats', 8, 'good'],
    ]);
    expect(ctx.calls[1]!.readings.map((r) => [r.property, r.value])).toEqual([
      ['lon', expect.closeTo(-11.516667, 5)],
      ['status', 'A'],
    ]);
  });

  it('counts bad checksums and garbage per device and reason, and still reads the good frames', async () => {
    await setUp();
    await driver.addDevice(gps());
    await flush();
    ports.send(`${GGA.replace(/\*..$/, '*00')}\r\nnoise\r\n${'x'.repeat(300)}\r\n${GGA}\r\n`);
    expect(
      await counter(ctx.metrics, 'kedge_serial_bad_frames_total', { device: 'default/gps', reason: 'checksum' }),
    ).toBe(1);
    expect(
      await counter(ctx.metrics, 'kedge_serial_bad_frames_total', { device: 'default/gps', reason: 'garbage' }),
    ).toBe(1);
    expect(
      await counter(ctx.metrics, 'kedge_serial_bad_frames_total', { device: 'default/gps', reason: 'overlong' }),
    ).toBe(1);
    expect(ctx.calls).toHaveLength(1);
    expect(await counter(ctx.metrics, 'kedge_serial_frames_total', { device: 'default/gps' })).toBe(1);
  });

  it('a value that does not parse is quality bad with the reason and counted', async () => {
    await setUp();
    await driver.addDevice(gps());
    await flush();
    ports.send(`${formatNmea('GPGGA,123519,,,,,0,xx,,,M,,M,,')}\r\n`);
    const [lat, sats] = ctx.calls[0]!.readings;
    expect(lat).toMatchObject({
      property: 'lat',
      value: null,
      quality: 'bad',
      reason: expect.stringMatching(/GGA: satellites "xx" is not a number/),
    });
    expect(sats!.quality).toBe('bad');
    ports.send(`${formatNmea('GPGGA,123519,,,,,0,00,,,M,,M,,')}\r\n`);
    expect(ctx.calls[1]!.readings).toEqual([
      expect.objectContaining({
        property: 'lat',
        quality: 'bad',
        reason: 'GGA latitude is empty (no fix or not moving)',
      }),
      expect.objectContaining({ property: 'sats', value: 0, quality: 'good' }),
    ]);
    expect(await counter(ctx.metrics, 'kedge_serial_bad_values_total', { device: 'default/gps' })).toBe(3);
  });

  it('line devices: a pattern per property, frames without it carry nothing', async () => {
    await setUp();
    await driver.addDevice(
      device('scale', 'serial', { serialPort: '/dev/ttyS1' }, [
        property('weight', 'DOUBLE', { pattern: 'W=([\\d.]+)kg' }),
        property('stable', 'BOOLEAN', { pattern: 'ST=(\\w+)' }),
      ]),
    );
    await flush();
    ports.send('W=12.50kg\r\nhello\nST=true\nW=abc kg\n');
    expect(ctx.calls.map((c) => c.readings.map((r) => [r.property, r.value]))).toEqual([
      [['weight', 12.5]],
      [['stable', true]],
    ]);
  });
});

describe('serial driver, request mode', () => {
  it('sends a shared command once per cycle and reads both properties from the answer', async () => {
    await setUp();
    ports.responder = (cmd) => (cmd === 'SEND\r' ? "RH= 43.0 %RH T= 21.5 'C\r\n" : undefined);
    await driver.addDevice(hmp());
    await flush();
    expect(ports.opened[0]).toMatchObject({ baudRate: 4800, dataBits: 7, parity: 'even' });
    ctx.clock.advance(1000);
    await flush();
    expect(ports.written).toEqual(['SEND\r']);
    expect(ctx.calls).toHaveLength(1);
    expect(ctx.calls[0]!.readings.map((r) => [r.property, r.value, r.quality])).toEqual([
      ['temperature', 21.5, 'good'],
      ['humidity', 43, 'good'],
    ]);
    expect(await counter(ctx.metrics, 'kedge_serial_requests_total', { outcome: 'ok' })).toBe(1);
  });

  it('no answer: quality bad "no response within N ms", unhealthy after 3, online again on an answer', async () => {
    await setUp({ responseTimeoutMs: 300 });
    await driver.addDevice(hmp());
    await flush();
    for (let i = 0; i < 3; i++) {
      ctx.clock.advance(1000);
      await flush();
      ctx.clock.advance(300);
      await flush();
    }
    expect(ctx.calls).toHaveLength(3);
    expect(ctx.calls[0]!.readings).toEqual([
      expect.objectContaining({
        property: 'temperature',
        value: null,
        quality: 'bad',
        reason: 'no response to "SEND\\r" within 300 ms',
      }),
      expect.objectContaining({ property: 'humidity', quality: 'bad' }),
    ]);
    expect(ctx.states.at(-1)).toMatchObject({
      state: 'unhealthy',
      reason: expect.stringMatching(/3 polls in a row failed/),
    });
    ports.responder = () => "RH=50 %RH T=20 'C\r\n";
    ctx.clock.advance(100); // the 4th cycle, at 4000 ms
    await flush();
    expect(ctx.states.at(-1)).toEqual({ device: 'default/hmp', state: 'online' });
    expect(await counter(ctx.metrics, 'kedge_serial_requests_total', { outcome: 'timeout' })).toBe(3);
  });

  it('skips lines that match no pattern (echo), counts them, and a partial answer marks the missing property bad', async () => {
    await setUp();
    ports.responder = () => "SEND\r\nT= 19.0 'C\r\n";
    await driver.addDevice(hmp());
    await flush();
    ctx.clock.advance(1000);
    await flush();
    await flush();
    expect(ctx.calls[0]!.readings).toEqual([
      expect.objectContaining({ property: 'temperature', value: 19, quality: 'good' }),
      expect.objectContaining({
        property: 'humidity',
        quality: 'bad',
        reason: expect.stringMatching(/does not match the property's pattern/),
      }),
    ]);
    expect(await counter(ctx.metrics, 'kedge_serial_bad_frames_total', { reason: 'unmatched' })).toBe(1);
  });

  it('two devices on one RS-485 port share one open port and take turns', async () => {
    await setUp();
    ports.responder = (cmd) => ({ 'SEND 1\r': "RH=10 %RH T=1 'C\r\n", 'SEND 2\r': "RH=20 %RH T=2 'C\r\n" })[cmd];
    await driver.addDevice(hmp('a', '/dev/ttyBUS', ' 1'));
    await driver.addDevice(hmp('b', '/dev/ttyBUS', ' 2'));
    await flush();
    expect(ports.opened).toHaveLength(1);
    ctx.clock.advance(1000);
    for (let i = 0; i < 4; i++) await flush();
    expect(ports.written).toEqual(['SEND 1\r', 'SEND 2\r']);
    expect(Object.fromEntries(ctx.calls.map((c) => [c.device, c.readings[0]!.value]))).toEqual({
      'default/a': 1,
      'default/b': 2,
    });
  });

  it('refuses a second device with other settings on the same port', async () => {
    await setUp();
    await driver.addDevice(hmp('a', '/dev/ttyBUS'));
    const clash = device('c', 'serial', { serialPort: '/dev/ttyBUS', baudRate: 9600 }, [property('x', 'INT', {})]);
    await expect(driver.addDevice(clash)).rejects.toThrow(
      /port \/dev\/ttyBUS is already used by default\/a with 4800 7E1/,
    );
  });
});

describe('serial driver, port life cycle and writes', () => {
  it('open failures: offline with the reason, retried with doubling back-off up to the cap', async () => {
    await setUp();
    ports.failOpen = 'ENOENT: no such file or directory';
    await driver.addDevice(gps());
    await flush();
    expect(ctx.states.at(-1)).toEqual({
      device: 'default/gps',
      state: 'offline',
      reason: expect.stringMatching(/ENOENT/),
    });
    const attempts = async (ms: number) => {
      const before = await counter(ctx.metrics, 'kedge_serial_port_opens_total');
      ctx.clock.advance(ms);
      await flush();
      return (await counter(ctx.metrics, 'kedge_serial_port_opens_total')) - before;
    };
    expect(await attempts(499)).toBe(0);
    expect(await attempts(1)).toBe(1); // 500
    expect(await attempts(999)).toBe(0);
    expect(await attempts(1)).toBe(1); // 1000
    expect(await attempts(2000)).toBe(1); // 2000 (cap)
    expect(await attempts(2000)).toBe(1); // still 2000
    ports.failOpen = undefined;
    expect(await attempts(2000)).toBe(1);
    expect(ctx.states.at(-1)).toEqual({ device: 'default/gps', state: 'online' });
  });

  it('unplug: offline with the reason, reopened, reading again', async () => {
    await setUp();
    await driver.addDevice(gps());
    await flush();
    ports.send('$GPGGA,half');
    ports.unplug();
    expect(ctx.states.at(-1)).toEqual({
      device: 'default/gps',
      state: 'offline',
      reason: 'port /dev/ttyGPS closed: bad file descriptor',
    });
    ctx.clock.advance(500);
    await flush();
    expect(ports.isOpen).toBe(true);
    ports.send(`${GGA}\r\n`);
    expect(ctx.calls).toHaveLength(1);
    expect(await counter(ctx.metrics, 'kedge_serial_bad_frames_total')).toBe(0);
  });

  it('a write to a property without writeCommand rejects with a clear KedgeError; an unknown property too', async () => {
    await setUp();
    await driver.addDevice(gps());
    const err = await driver.write('default/gps', 'lat', 1).catch((e: unknown) => e);
    expect(isKedgeError(err) && err.code).toBe('KEDGE_SERIAL_NOT_WRITABLE');
    expect((err as Error).message).toMatch(/default\/gps property lat: no writeCommand in its visitor configData/);
    const unknown = await driver.write('default/gps', 'nope', 1).catch((e: unknown) => e);
    expect(isKedgeError(unknown) && unknown.code).toBe('KEDGE_MAPPER_UNKNOWN_PROPERTY');
  });

  it('removing the last device of a port closes it', async () => {
    await setUp();
    await driver.addDevice(gps());
    await flush();
    await driver.removeDevice('default/gps');
    expect(ports.isOpen).toBe(false);
  });
});
