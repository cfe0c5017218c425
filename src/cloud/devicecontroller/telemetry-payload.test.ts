import { describe, expect, it } from 'vitest';
import { columnReadings, DeviceColumnsBuilder, TelemetryPayloadSchema } from '../../contracts/index.js';
import { firstProblem } from '../../core/schema/index.js';
import { telemetryPayload } from './telemetry-payload.js';

describe('telemetryPayload', () => {
  it('writes the same JSON as JSON.stringify of the readings as objects', () => {
    const b = new DeviceColumnsBuilder('default/pump-1');
    b.add('temp', 21.5, 'good', 1000, '°C');
    b.add('say "hi"\n', 'a\u2028"b"\\', 'good', 1000);
    b.add('on', true, 'uncertain', 1000);
    b.add('off', false, 'uncertain', 1001);
    b.add('temp', null, 'bad', 1001, '°C', 'spike: |90 - 21.5| > maxStep 10');
    b.add('temp', -0, 'stale', 1002, 'K', 'no good value for 30000 ms "quoted"\n');
    b.add('on', false, 'good', 1001, undefined, 'a reason on a good reading is not sent');
    b.add('big', 1e21, 'good', 1002);
    b.add('tiny', 5e-7, 'good', 1002);
    const c = b.columns;
    const text = telemetryPayload('ns "1"', 'pump-1', 'edge/1', c);
    expect(text).toBe(
      JSON.stringify({ namespace: 'ns "1"', device: 'pump-1', node: 'edge/1', readings: columnReadings(c) }),
    );
    // What consumers get is the contract's payload (src/contracts/cloud-payloads.ts).
    expect(firstProblem(TelemetryPayloadSchema, JSON.parse(text))).toBeUndefined();
    expect(JSON.parse(text).readings[4]).toEqual({
      property: 'temp',
      value: null,
      unit: '°C',
      quality: 'bad',
      reason: 'spike: |90 - 21.5| > maxStep 10',
      ts: 1001,
    });
    expect(JSON.parse(text).readings[5].reason).toBe('no good value for 30000 ms "quoted"\n');
    expect(JSON.parse(text).readings[6]).not.toHaveProperty('reason');
    expect(JSON.parse(text).readings[0]).toEqual({
      property: 'temp',
      value: 21.5,
      unit: '°C',
      quality: 'good',
      ts: 1000,
    });
  });

  it('writes a number that parsed to Infinity as null, as JSON.stringify does', () => {
    const c = JSON.parse(
      '{"device":"default/d","properties":["x"],"p":[0],"v":[1e999],"q":[["good",1]],"t":[[1e999,1]]}',
    );
    const text = telemetryPayload('default', 'd', 'n', c);
    expect(JSON.parse(text).readings).toEqual([{ property: 'x', value: null, quality: 'good', ts: null }]);
    expect(text).toBe(JSON.stringify({ namespace: 'default', device: 'd', node: 'n', readings: columnReadings(c) }));
  });

  it('writes an empty readings array for columns without readings', () => {
    const c = new DeviceColumnsBuilder('default/d').columns;
    expect(JSON.parse(telemetryPayload('default', 'd', 'n', c))).toEqual({
      namespace: 'default',
      device: 'd',
      node: 'n',
      readings: [],
    });
  });
});
