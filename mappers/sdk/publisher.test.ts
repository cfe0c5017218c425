import { describe, expect, it } from 'vitest';
import type { DriverReading } from './driver.js';
import { dataUpdateJson, rawReadingJson, toRaw } from './publisher.js';

const readings: DriverReading[] = [
  { property: 'r0', value: 12.5, quality: 'good', ts: 1_764_100_000_123 },
  { property: 'r1', value: -0, quality: 'good', ts: 1 },
  { property: 'r2', value: Number.NaN, quality: 'good', ts: 2 },
  { property: 'r3', value: Number.POSITIVE_INFINITY, quality: 'uncertain', ts: 3 },
  { property: 'r4', value: null, quality: 'bad', ts: 4, reason: 'exception 2 (Illegal Data Address)' },
  { property: 'quote "q" \\ \n é \u2028 \ud800', value: 'text "with" \u0000 control', quality: 'good', ts: 5 },
  { property: 'b', value: true, quality: 'good', ts: 6, reason: undefined },
  { property: 'big', value: 2 ** 60, quality: 'good', ts: 1e21 },
  { property: 'x', value: false, quality: 'bad', ts: 7, reason: '' },
];

describe('DevicePublisher serialization', () => {
  it('writes each reading exactly as JSON.stringify of its toRaw copy', () => {
    for (const r of readings) expect(rawReadingJson(r)).toBe(JSON.stringify(toRaw(r)));
    // Members a driver added beyond the contract are left out, as toRaw leaves them out.
    const extra = { ...readings[0]!, debug: 1 } as DriverReading;
    expect(rawReadingJson(extra)).toBe(JSON.stringify(toRaw(readings[0]!)));
  });

  it('writes a data update exactly as JSON.stringify of the DataUpdate object', () => {
    const id = '3f1c1f7e-9b3a-4f6e-8d5c-2a1b0c9d8e7f';
    expect(dataUpdateJson(id, 1_764_100_000_999, readings)).toBe(JSON.stringify({ event_id: id, timestamp: 1_764_100_000_999, readings: readings.map(toRaw) }));
    expect(dataUpdateJson(id, 5, [])).toBe(JSON.stringify({ event_id: id, timestamp: 5, readings: [] }));
    expect(JSON.parse(dataUpdateJson(id, 5, readings)).readings).toHaveLength(readings.length);
  });
});
