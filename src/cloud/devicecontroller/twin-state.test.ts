import { describe, expect, it } from 'vitest';
import type { Device } from '../../model/index.js';
import { DeviceTwinState } from './twin-state.js';

const device: Device = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name: 'pump-1', namespace: 'plant' },
  spec: {
    deviceModelRef: { name: 'pump' },
    nodeName: 'edge-1',
    protocol: { protocolName: 'modbus' },
    properties: [{ name: 'setpoint', desired: { value: '42' } }],
  },
};

describe('DeviceTwinState', () => {
  it('merges reports, writes KubeEdge status twins and reads them back after a restart', () => {
    const t = new DeviceTwinState();
    t.applyReport({ properties: { temp: { reported: { value: '21.5', quality: 'good', ts: 1000, version: 3 } } } });
    t.applyReport({ properties: { temp: { reported: { value: '20.0', quality: 'good', ts: 900, version: 2 } } } });
    t.applyReport({
      properties: {
        setpoint: {
          desired: { value: '42', ts: 1100, version: 1 },
          reported: { value: '40', quality: 'uncertain', ts: 1100, version: 4, reason: 'clamped to max 40' },
        },
      },
    });
    t.applyState({ state: 'online', ts: 1200 });
    const status = t.toStatus({ other: 'kept' });
    expect(status.other).toBe('kept');
    expect(status.state).toBe('online');
    expect(status.twins).toEqual([
      {
        propertyName: 'setpoint',
        reported: {
          value: '40',
          metadata: { timestamp: '1100', quality: 'uncertain', version: '4', reason: 'clamped to max 40' },
        },
        observedDesired: { value: '42', metadata: { timestamp: '1100', version: '1' } },
      },
      {
        propertyName: 'temp',
        reported: { value: '21.5', metadata: { timestamp: '1000', quality: 'good', version: '3' } },
      },
    ]);
    const back = DeviceTwinState.fromStatus(JSON.parse(JSON.stringify(status)));
    expect(back.view(device, new Map())).toEqual(t.view(device, new Map()));
    expect(back.view(device, new Map()).properties.setpoint).toEqual({
      desired: { value: '42', ts: 1100, version: 1 },
      reported: { value: '40', quality: 'uncertain', ts: 1100, version: 4, reason: 'clamped to max 40' },
      pending: true,
    });
  });

  it('shows a failed desired value until a new desired value or a matching reading arrives', () => {
    const t = new DeviceTwinState();
    t.applyReport({ properties: { setpoint: { failed: { value: '42', reason: 'exception code 2', ts: 5 } } } });
    const failed = t.view(device, new Map([['setpoint', 3]])).properties.setpoint!;
    expect(failed).toMatchObject({
      failed: { reason: 'exception code 2', ts: 5 },
      pending: false,
      desired: { value: '42', ts: 3 },
    });
    const status = t.toStatus(undefined);
    expect(DeviceTwinState.fromStatus(status).view(device, new Map()).properties.setpoint!.failed).toEqual({
      reason: 'exception code 2',
      ts: 5,
    });
    t.applyReport({ properties: { setpoint: { reported: { value: '42', quality: 'good', ts: 9, version: 5 } } } });
    expect(t.view(device, new Map()).properties.setpoint).toMatchObject({ pending: false });
    expect(t.view(device, new Map()).properties.setpoint!.failed).toBeUndefined();
  });

  it("carries an edge's optional twin (a property the model lacks) and drops it when the edge deletes it", () => {
    const t = new DeviceTwinState();
    t.applyReport({
      properties: { firmware: { optional: true, reported: { value: '1.4.2', quality: 'good', ts: 5, version: 1 } } },
    });
    expect(t.view(device, new Map()).properties.firmware?.reported?.value).toBe('1.4.2');
    expect((t.toStatus({}).twins as Array<{ propertyName: string }>).map((x) => x.propertyName)).toContain('firmware');
    t.applyReport({ properties: { firmware: { optional: true, deleted: true } } });
    expect(t.view(device, new Map()).properties.firmware).toBeUndefined();
    expect((t.toStatus({}).twins as Array<{ propertyName: string }>).map((x) => x.propertyName)).not.toContain(
      'firmware',
    );
  });
});
