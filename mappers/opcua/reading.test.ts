import { describe, expect, it } from 'vitest';
import { DataType, DataValue, StatusCodes, Variant } from 'node-opcua';
import type { PropertyInstance } from '../../src/model/index.js';
import { readingOf } from './reading.js';

const prop: PropertyInstance = {
  name: 'temp',
  type: 'DOUBLE',
  accessMode: 'ReadOnly',
  visitor: {},
  collectCycleMs: 1000,
  reportCycleMs: 1000,
  reportToCloud: true,
};

describe('readingOf', () => {
  it('takes the value and the source timestamp of a good data value', () => {
    const dv = new DataValue({
      value: new Variant({ dataType: DataType.Double, value: 20.5 }),
      sourceTimestamp: new Date(5000),
      serverTimestamp: new Date(6000),
    });
    expect(readingOf(prop, dv, 9)).toEqual({ property: 'temp', value: 20.5, quality: 'good', ts: 5000 });
  });

  it('is bad with the status name (also its code, what the edge counts errors by) and no value for a Bad status', () => {
    const dv = new DataValue({ statusCode: StatusCodes.BadNodeIdUnknown });
    expect(readingOf(prop, dv, 9)).toEqual({
      property: 'temp',
      value: null,
      quality: 'bad',
      ts: 9,
      reason: 'BadNodeIdUnknown',
      code: 'BadNodeIdUnknown',
    });
  });

  it('keeps the value of an Uncertain status with the status name', () => {
    const dv = new DataValue({
      value: new Variant({ dataType: DataType.Double, value: 1 }),
      statusCode: StatusCodes.UncertainSensorNotAccurate,
      serverTimestamp: new Date(7),
    });
    expect(readingOf(prop, dv, 9)).toEqual({
      property: 'temp',
      value: 1,
      quality: 'uncertain',
      ts: 7,
      reason: 'UncertainSensorNotAccurate',
    });
  });

  it('lets the variant mapping lower a good status (text for a DOUBLE property)', () => {
    const dv = new DataValue({ value: new Variant({ dataType: DataType.String, value: 'n/a' }) });
    expect(readingOf(prop, dv, 9)).toMatchObject({
      value: null,
      quality: 'bad',
      reason: '"n/a" is not a number for a DOUBLE property',
    });
  });
});
