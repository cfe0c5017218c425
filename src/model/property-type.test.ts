import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isKedgeError } from '../core/errors/index.js';
import { normalizePropertyType, parsePropertyValue, twinValuesMatch, type PropertyType } from './property-type.js';

describe('parsePropertyValue', () => {
  it.each([
    ['INT', '42', 42],
    ['INT', ' -7 ', -7],
    ['FLOAT', '21.5', 21.5],
    ['DOUBLE', '1e-3', 0.001],
    ['BOOLEAN', 'true', true],
    ['BOOLEAN', '0', false],
    ['BOOLEAN', 'F', false],
    ['STRING', ' OFF ', ' OFF '],
  ] as const)('%s %j -> %j', (type, text, expected) => {
    expect(parsePropertyValue(type, text)).toBe(expected);
  });

  it.each([
    ['INT', '4.2'],
    ['INT', 'abc'],
    ['INT', ''],
    ['INT', '99999999999999999999'],
    ['FLOAT', 'NaN'],
    ['FLOAT', 'Infinity'],
    ['DOUBLE', '1,5'],
    ['BOOLEAN', 'yes'],
  ] as const)('%s %j throws KEDGE_MODEL_BAD_VALUE naming the type', (type, text) => {
    try {
      parsePropertyValue(type, text);
      expect.unreachable();
    } catch (err) {
      expect(isKedgeError(err) && err.code).toBe('KEDGE_MODEL_BAD_VALUE');
      expect((err as Error).message).toContain(`valid ${type} value`);
    }
  });

  it('round-trips every safe integer and finite double', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => parsePropertyValue('INT', String(n)) === n));
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (n) => parsePropertyValue('DOUBLE', String(n)) === n,
      ),
    );
  });
});

describe('normalizePropertyType', () => {
  it('accepts any case and rejects unknown names', () => {
    expect(normalizePropertyType('float')).toBe<PropertyType>('FLOAT');
    expect(normalizePropertyType('Boolean')).toBe<PropertyType>('BOOLEAN');
    expect(normalizePropertyType('FLOT')).toBeUndefined();
  });
});

describe('twinValuesMatch', () => {
  it('matches the same value in another spelling: booleans, numbers within 1e-6, else the same text', () => {
    expect(twinValuesMatch('1', 'true')).toBe(true);
    expect(twinValuesMatch('F', 'false')).toBe(true);
    expect(twinValuesMatch('1', 'false')).toBe(false);
    expect(twinValuesMatch('21.5', '21.500000000000004')).toBe(true);
    expect(twinValuesMatch('250.5', '250')).toBe(false);
    expect(twinValuesMatch('1e3', '1000')).toBe(true);
    expect(twinValuesMatch('abc', 'abc')).toBe(true);
    expect(twinValuesMatch('abc', 'ABC')).toBe(false);
    expect(twinValuesMatch('', '0')).toBe(false);
  });
});
