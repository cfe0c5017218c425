import { describe, expect, it } from 'vitest';
import { DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { int64Of, int64Words, mapVariant } from './variant-map.js';
import { qualityOf } from './quality.js';
import { variantFor } from './write-value.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import fc from 'fast-check';

describe('mapVariant', () => {
  it('maps numeric built-in types to numbers', () => {
    for (const dataType of [
      DataType.SByte,
      DataType.Byte,
      DataType.Int16,
      DataType.UInt16,
      DataType.Int32,
      DataType.UInt32,
    ]) {
      expect(mapVariant(new Variant({ dataType, value: 7 }), 'INT')).toEqual({ value: 7, quality: 'good' });
    }
    expect(mapVariant(new Variant({ dataType: DataType.Double, value: 21.5 }), 'DOUBLE')).toEqual({
      value: 21.5,
      quality: 'good',
    });
    expect(mapVariant(new Variant({ dataType: DataType.Float, value: 1.5 }), 'FLOAT')).toEqual({
      value: 1.5,
      quality: 'good',
    });
  });

  it('maps Boolean and coerces numbers to BOOLEAN properties', () => {
    expect(mapVariant(new Variant({ dataType: DataType.Boolean, value: true }), 'BOOLEAN')).toEqual({
      value: true,
      quality: 'good',
    });
    expect(mapVariant(new Variant({ dataType: DataType.Int32, value: 0 }), 'BOOLEAN')).toEqual({
      value: false,
      quality: 'good',
    });
    expect(mapVariant(new Variant({ dataType: DataType.Boolean, value: true }), 'INT')).toEqual({
      value: 1,
      quality: 'good',
    });
  });

  it('rounds a fraction for an INT property and says so (uncertain)', () => {
    const m = mapVariant(new Variant({ dataType: DataType.Double, value: 2.6 }), 'INT');
    expect(m).toEqual({ value: 3, quality: 'uncertain', reason: '2.6 rounded to a whole number for an INT property' });
  });

  it('maps Int64/UInt64 words, uncertain beyond 2^53', () => {
    const v = new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: -5 });
    expect(mapVariant(v, 'INT')).toEqual({ value: -5, quality: 'good' });
    const big = new Variant({
      dataType: DataType.UInt64,
      arrayType: VariantArrayType.Scalar,
      value: [0xffffffff, 0xffffffff],
    });
    const m = mapVariant(big, 'INT');
    expect(m.quality).toBe('uncertain');
    expect(m.reason).toMatch(/18446744073709551615 exceeds 2\^53/);
  });

  it('round-trips safe integers through Int64 words', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(int64Of(int64Words(n), true).value).toBe(n);
      }),
    );
  });

  it('maps DateTime to ISO text for STRING and to ms for numeric properties', () => {
    const d = new Date('2026-03-01T12:00:00.250Z');
    expect(mapVariant(new Variant({ dataType: DataType.DateTime, value: d }), 'STRING').value).toBe(
      '2026-03-01T12:00:00.250Z',
    );
    expect(mapVariant(new Variant({ dataType: DataType.DateTime, value: d }), 'INT').value).toBe(d.getTime());
  });

  it('maps String, LocalizedText and ByteString to text', () => {
    expect(mapVariant(new Variant({ dataType: DataType.String, value: 'B-17' }), 'STRING').value).toBe('B-17');
    expect(mapVariant(new Variant({ dataType: DataType.LocalizedText, value: { text: 'on' } }), 'STRING').value).toBe(
      'on',
    );
    expect(mapVariant(new Variant({ dataType: DataType.ByteString, value: Buffer.from([1, 2]) }), 'BYTES').value).toBe(
      'AQI=',
    );
  });

  it('is bad for empty variants, arrays and text that is not a number', () => {
    expect(mapVariant(new Variant({ dataType: DataType.Null }), 'INT')).toMatchObject({ value: null, quality: 'bad' });
    const arr = new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] });
    expect(mapVariant(arr, 'DOUBLE')).toMatchObject({
      value: null,
      quality: 'bad',
      reason: expect.stringMatching(/array of Double/),
    });
    expect(mapVariant(new Variant({ dataType: DataType.String, value: 'abc' }), 'DOUBLE')).toMatchObject({
      value: null,
      quality: 'bad',
    });
  });
});

describe('qualityOf', () => {
  it('maps severities Good/Uncertain/Bad with the status name as reason', () => {
    expect(qualityOf(StatusCodes.Good)).toEqual({ quality: 'good' });
    expect(qualityOf(StatusCodes.UncertainLastUsableValue)).toEqual({
      quality: 'uncertain',
      reason: 'UncertainLastUsableValue',
    });
    expect(qualityOf(StatusCodes.BadNodeIdUnknown)).toEqual({ quality: 'bad', reason: 'BadNodeIdUnknown' });
    expect(qualityOf(StatusCodes.BadCommunicationError)).toEqual({ quality: 'bad', reason: 'BadCommunicationError' });
  });
});

describe('variantFor', () => {
  it('writes with the variable data type', () => {
    expect(variantFor(DataType.Int16, 12, 'd/p')).toMatchObject({ dataType: DataType.Int16, value: 12 });
    expect(variantFor(DataType.Double, 21.5, 'd/p')).toMatchObject({ dataType: DataType.Double, value: 21.5 });
    expect(variantFor(DataType.Boolean, 1, 'd/p')).toMatchObject({ dataType: DataType.Boolean, value: true });
    expect(variantFor(DataType.Int64, -2, 'd/p').value).toEqual([0xffffffff, 0xfffffffe]);
    expect((variantFor(DataType.DateTime, '2026-01-01T00:00:00Z', 'd/p').value as Date).getTime()).toBe(
      Date.UTC(2026, 0, 1),
    );
  });

  it('rejects values that do not fit, naming the property and the range', () => {
    const attempt = () => variantFor(DataType.Byte, 300, 'default/oven setpoint');
    expect(attempt).toThrow(
      /default\/oven setpoint: 300 cannot be written as Byte: expected a whole number in 0\.\.255/,
    );
    let caught: unknown;
    try {
      variantFor(DataType.Int32, 1.5, 'x');
    } catch (err) {
      caught = err;
    }
    expect(isKedgeError(caught) && caught.code).toBe('KEDGE_OPCUA_BAD_WRITE_VALUE');
    expect(() => variantFor(DataType.Boolean, 'maybe', 'x')).toThrow(/expected true or false/);
  });
});
