import { describe, expect, it } from 'vitest';
import type { PbDevice } from '../../../src/contracts/dmi/index.js';
import { DmiDevices } from './devices.js';

const device = (desired: Record<string, Record<string, string> | undefined>, value = '7'): PbDevice => ({
  name: 'd',
  namespace: 'default',
  spec: {
    deviceModelReference: 'm',
    protocol: { protocolName: 'modbus', configData: { data: {} } },
    properties: Object.entries(desired).map(([name, metadata]) => ({
      name,
      desired: { value, metadata: metadata ?? {} },
      visitors: { protocolName: '', configData: { data: {} } },
      reportCycle: 0,
      collectCycle: 0,
      reportToCloud: false,
      pushMethod: null,
    })),
    methods: [],
  },
  status: null,
});

describe('DmiDevices.wanted', () => {
  it("writes what kedge edge marks pending once, holds what it marks confirmed, and writes an edgecore device's desired values once", () => {
    const devices = new DmiDevices();
    devices.setDevice(device({ a: { pending: 'true' }, b: { pending: 'false' }, c: undefined }));
    const settled: string[] = [];
    const first = devices.wanted((_, p, v) => settled.push(`${p}=${v}`));
    expect(first.map((w) => w.property)).toEqual(['a', 'c']);
    expect(settled).toEqual(['b=7']);
    // The same UpdateDevice again (another property changed): nothing is written twice.
    expect(devices.wanted(() => undefined)).toEqual([]);
    // A new value is written again.
    devices.setDevice(device({ a: { pending: 'true' }, b: { pending: 'false' }, c: undefined }, '8'));
    expect(devices.wanted(() => undefined).map((w) => `${w.property}=${w.value}`)).toEqual(['a=8', 'c=8']);
  });
});
