import { describe, expect, it } from 'vitest';
import type { DeviceInstance } from '../../model/index.js';
import { twinReadings } from './twins.js';

const device: DeviceInstance = {
  id: 'default/meter',
  namespace: 'default',
  name: 'meter',
  model: 'meter',
  protocol: 'virtualprotocol',
  protocolConfig: {},
  properties: [
    {
      name: 'count',
      type: 'INT',
      accessMode: 'ReadWrite',
      visitor: {},
      collectCycleMs: 1000,
      reportCycleMs: 1000,
      reportToCloud: true,
    },
    {
      name: 'temp',
      type: 'FLOAT',
      accessMode: 'ReadOnly',
      visitor: {},
      collectCycleMs: 1000,
      reportCycleMs: 1000,
      reportToCloud: true,
    },
  ],
};
const twin = (propertyName: string, reported: string | null, metadata: Record<string, string> = {}, observed = '') => ({
  propertyName,
  reported: reported === null ? null : { value: reported, metadata },
  observedDesired: { value: observed, metadata: {} },
});

describe('DMI twins as readings', () => {
  it("reads mapper-framework's twins: the value parsed by the property type, the time from metadata (a string), observedDesired never a desired value", () => {
    const r = twinReadings(device, [twin('count', '41', { type: 'int', timestamp: '1700000000123' }, '40')], 5);
    expect(r).toEqual({
      readings: [{ property: 'count', value: 41, quality: 'good', ts: 1700000000123 }],
      unknown: [],
      failed: [],
    });
  });

  it('a value that does not parse is a bad reading saying why; an empty one is nothing read; a property the model lacks is listed', () => {
    const r = twinReadings(device, [twin('count', 'many'), twin('temp', ''), twin('ghost', '1')], 5);
    expect(r.readings).toHaveLength(1);
    expect(r.readings[0]).toMatchObject({ property: 'count', value: null, quality: 'bad', ts: 5 });
    expect(r.readings[0]?.reason).toMatch(/INT/);
    expect(r.unknown).toEqual(['ghost']);
  });

  it("takes a kedge mapper's quality and reason, and its failed write", () => {
    const r = twinReadings(
      device,
      [
        twin('temp', '', { quality: 'bad', reason: 'timeout', timestamp: '9' }),
        twin('count', '3', { quality: 'uncertain', reason: 'stale' }),
        {
          propertyName: 'count',
          reported: null,
          observedDesired: { value: '2', metadata: { failed: 'exception 2', failedValue: '9' } },
        },
      ],
      5,
    );
    expect(r.readings).toEqual([
      { property: 'temp', value: null, quality: 'bad', ts: 9, reason: 'timeout' },
      { property: 'count', value: 3, quality: 'uncertain', ts: 5, reason: 'stale' },
    ]);
    expect(r.failed).toEqual([{ property: 'count', desired: '9', reason: 'exception 2' }]);
  });
});
