import { describe, expect, it } from 'vitest';
import type { DriverReading } from './driver.js';
import { DataUpdateEncoder, toRaw } from './data-update-encoder.js';

const readings: DriverReading[] = [
  { property: 'r0', value: 12.5, quality: 'good', ts: 1_764_100_000_123 },
  { property: 'r1', value: -0, quality: 'good', ts: 1 },
  { property: 'r2', value: Number.NaN, quality: 'good', ts: 2 },
  { property: 'r3', value: Number.POSITIVE_INFINITY, quality: 'uncertain', ts: 3 },
  {
    property: 'r4',
    value: null,
    quality: 'bad',
    ts: 4,
    reason: 'exception 2 (Illegal Data Address)',
    code: 'KEDGE_MODBUS_EXCEPTION',
  },
  { property: 'quote "q" \\ \n é \u2028 \ud800', value: 'text "with" \u0000 control', quality: 'good', ts: 5 },
  { property: 'b', value: true, quality: 'good', ts: 6, reason: undefined },
  { property: 'big', value: 2 ** 60, quality: 'good', ts: 1e21 },
  { property: 'neg', value: -9_007_199_254_740_991, quality: 'good', ts: 0 },
  { property: 'x', value: false, quality: 'bad', ts: 7, reason: '' },
];
const ID = '3f1c1f7e-9b3a-4f6e-8d5c-2a1b0c9d8e7f';
const expected = (id: string, ts: number, rs: readonly DriverReading[]): string =>
  JSON.stringify({ event_id: id, timestamp: ts, readings: rs.map(toRaw) });

describe('DataUpdateEncoder', () => {
  it('writes a data update exactly as JSON.stringify of the RawData object', () => {
    const encoder = new DataUpdateEncoder();
    expect(encoder.encode(ID, 1_764_100_000_999, readings).toString()).toBe(expected(ID, 1_764_100_000_999, readings));
    expect(encoder.encode(ID, 5, []).toString()).toBe(expected(ID, 5, []));
    expect(JSON.parse(encoder.encode(ID, 5, readings).toString()).readings).toHaveLength(readings.length);
  });

  it('leaves out members beyond the contract and undefined ones, as toRaw and JSON.stringify do', () => {
    const extra = { ...readings[0]!, debug: 1 } as DriverReading;
    const partial = { property: 'p', value: undefined, quality: 'odd', ts: 3 } as unknown as DriverReading;
    expect(new DataUpdateEncoder().encode(ID, 1, [extra, partial]).toString()).toBe(
      expected(ID, 1, [readings[0]!, partial]),
    );
  });

  it('matches JSON.stringify on random readings, and each result is its own copy', () => {
    const encoder = new DataUpdateEncoder();
    const values = [
      0,
      1,
      -1,
      7.25,
      -1e-7,
      123_456_789_012,
      2 ** 53,
      -(2 ** 53) + 1,
      1 / 3,
      true,
      false,
      null,
      '',
      'ü"\\',
      Number.NaN,
    ];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const earlier: Array<[Buffer, string]> = [];
    for (let round = 0; round < 200; round++) {
      const rs: DriverReading[] = Array.from({ length: Math.floor(Math.random() * 60) }, (_, i) => ({
        property: pick([`p${i}`, 'temperature', 'ñame']),
        value: pick(values) as DriverReading['value'],
        quality: pick(['good', 'bad', 'uncertain'] as const),
        ts: Math.floor(Math.random() * 2e12),
        ...(Math.random() < 0.2 ? { reason: pick(['timeout', 'exception 2 "x"']) } : {}),
      }));
      const out = encoder.encode(`id-${round}`, round, rs);
      expect(out.toString()).toBe(expected(`id-${round}`, round, rs));
      earlier.push([out, expected(`id-${round}`, round, rs)]);
    }
    for (const [out, json] of earlier) expect(out.toString()).toBe(json);
  });

  it('grows past its first buffer for a large update', () => {
    const many: DriverReading[] = Array.from({ length: 2000 }, (_, i) => ({
      property: `property-with-a-long-name-${i}`,
      value: i / 7,
      quality: 'good',
      ts: 1_764_100_000_000 + i,
    }));
    const out = new DataUpdateEncoder().encode(ID, 9, many);
    expect(out.length).toBeGreaterThan(16 * 1024);
    expect(out.toString()).toBe(expected(ID, 9, many));
  });
});
