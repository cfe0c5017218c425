import { describe, expect, it } from 'vitest';
import { columnReadings, columnsProblem, DeviceColumnsBuilder } from './telemetry-columns.js';

describe('telemetry columns', () => {
  it('names each property once per unit, runs quality and ts, and gives the readings back in order', () => {
    const b = new DeviceColumnsBuilder('default/d');
    const readings = [
      { property: 'a', value: 1, quality: 'good' as const, ts: 10 },
      { property: 'b', value: 'x', unit: 'V', quality: 'good' as const, ts: 10 },
      { property: 'a', value: null, quality: 'bad' as const, ts: 10 },
      { property: 'b', value: true, unit: 'mV', quality: 'bad' as const, ts: 11 },
      { property: 'b', value: false, unit: 'V', quality: 'good' as const, ts: 11 },
    ];
    for (const r of readings) b.add(r.property, r.value, r.quality, r.ts, r.unit);
    expect(b.count).toBe(5);
    expect(b.columns).toEqual({
      device: 'default/d',
      properties: ['a', 'b', 'b'],
      units: ['', 'V', 'mV'],
      p: [0, 1, 0, 2, 1],
      v: [1, 'x', null, true, false],
      q: [
        ['good', 2],
        ['bad', 2],
        ['good', 1],
      ],
      t: [
        [10, 3],
        [11, 2],
      ],
    });
    expect(columnsProblem(b.columns)).toBeUndefined();
    expect(columnReadings(JSON.parse(JSON.stringify(b.columns)))).toEqual(readings);
  });

  it('leaves units out when no property has one', () => {
    const b = new DeviceColumnsBuilder('default/d');
    b.add('a', 1, 'good', 1);
    b.add('b', 2, 'good', 1, '');
    expect(b.columns).toEqual({
      device: 'default/d',
      properties: ['a', 'b'],
      p: [0, 1],
      v: [1, 2],
      q: [['good', 2]],
      t: [[1, 2]],
    });
  });

  it('names what does not add up', () => {
    const c = () => ({
      device: 'default/d',
      properties: ['a'],
      p: [0, 0],
      v: [1, 2],
      q: [['good', 2]] as Array<['good', number]>,
      t: [[1, 2]] as Array<[number, number]>,
    });
    expect(columnsProblem({ ...c(), v: [1] })).toBe('v has 1 values for 2 readings in p');
    expect(columnsProblem({ ...c(), units: ['', 'V'] })).toBe('units has 2 entries for 1 properties');
    expect(columnsProblem({ ...c(), p: [0, 1] })).toBe('p[1] = 1 is not an index of properties (1 entries)');
    expect(columnsProblem({ ...c(), q: [['good', 3]] })).toBe('the runs in q count 3 readings, p has 2');
    expect(columnsProblem({ ...c(), t: [[1, 1]] })).toBe('the runs in t count 1 readings, p has 2');
    expect(columnsProblem({ ...c(), r: [[2, 'x']] })).toBe('r[0] names reading 2, p has 2');
    expect(
      columnsProblem({
        ...c(),
        r: [
          [1, 'x'],
          [1, 'y'],
        ],
      }),
    ).toBe('r[1] names reading 1 after reading 1: indexes must rise');
  });

  it('carries the reason of each reading that has one (bad, uncertain, stale), and none for the others', () => {
    const b = new DeviceColumnsBuilder('default/meter');
    const readings = [
      { property: 'voltage', value: 230.1, unit: 'V', quality: 'good' as const, ts: 1 },
      {
        property: 'voltage',
        value: 230.1,
        unit: 'V',
        quality: 'uncertain' as const,
        ts: 2,
        reason: 'holding last good value: spike: |412 - 230.1| > maxStep 20',
      },
      {
        property: 'current',
        value: null,
        unit: 'A',
        quality: 'bad' as const,
        ts: 2,
        reason: 'exception 2 (Illegal Data Address)',
      },
      { property: 'current', value: 5, unit: 'A', quality: 'good' as const, ts: 3 },
    ];
    for (const r of readings) b.add(r.property, r.value, r.quality, r.ts, r.unit, r.reason);
    expect(b.columns.r).toEqual([
      [1, readings[1]!.reason],
      [2, readings[2]!.reason],
    ]);
    expect(columnsProblem(b.columns)).toBeUndefined();
    expect(columnReadings(JSON.parse(JSON.stringify(b.columns)))).toEqual(readings);
    const none = new DeviceColumnsBuilder('default/d');
    none.add('a', 1, 'good', 1, undefined, '');
    expect(none.columns.r).toBeUndefined();
  });
});
