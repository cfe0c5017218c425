import { describe, expect, it } from 'vitest';
import { modbusWriteLimits } from './protocols/index.js';
import { isKedgeError } from '../core/errors/index.js';
import { normalizeDesired, type DesiredTarget } from './desired-value.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(isKedgeError(err) && err.code).toBe('KEDGE_MODEL_BAD_VALUE');
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

// The Moxa ioLogik E1214's relay CH0 pulse width: holding register 0x0034, uint16, unit 1.5 s.
const pulse: DesiredTarget = {
  name: 'relay-0-pulse-on-width',
  type: 'FLOAT',
  minimum: 1.5,
  maximum: 98302.5,
  unit: 's',
};
const pulseLimits = modbusWriteLimits(
  { register: 'HoldingRegister', offset: 52, rawType: 'uint16', scale: 1.5 },
  'FLOAT',
);

describe('normalizeDesired', () => {
  it('stores booleans as true/false, whatever spelling KubeEdge accepts (the read-back then confirms them)', () => {
    const relay: DesiredTarget = { name: 'relay-2', type: 'BOOLEAN' };
    expect(['1', 'true', 'T', 'True', ' t '].map((v) => normalizeDesired(relay, v))).toEqual(Array(5).fill('true'));
    expect(['0', 'false', 'F', 'FALSE'].map((v) => normalizeDesired(relay, v))).toEqual(Array(4).fill('false'));
    expect(refusal(() => normalizeDesired(relay, 'on'))).toBe(
      'relay-2=on: "on" is not a valid BOOLEAN value: expected true or false (also 1/0, t/f)',
    );
  });

  it('writes numbers in one spelling', () => {
    expect(normalizeDesired({ name: 'sp', type: 'FLOAT' }, '021.50')).toBe('21.5');
    expect(normalizeDesired({ name: 'sp', type: 'DOUBLE' }, '1e3')).toBe('1000');
    expect(normalizeDesired({ name: 'n', type: 'INT' }, '+42')).toBe('42');
    expect(normalizeDesired({ name: 's', type: 'STRING' }, ' as is ')).toBe(' as is ');
  });

  it("refuses a value outside the model's minimum and maximum, with the unit", () => {
    expect(refusal(() => normalizeDesired(pulse, '1e9', pulseLimits))).toBe(
      'relay-0-pulse-on-width=1e9: 1000000000 s is above the maximum 98302.5 s',
    );
    expect(refusal(() => normalizeDesired(pulse, '0', pulseLimits))).toBe(
      'relay-0-pulse-on-width=0: 0 s is below the minimum 1.5 s',
    );
  });

  it("refuses what the device's register cannot hold after scale, when the model sets no range", () => {
    const open = { ...pulse, minimum: undefined, maximum: undefined };
    expect(refusal(() => normalizeDesired(open, '1e9', pulseLimits))).toBe(
      'relay-0-pulse-on-width=1e9: 1000000000 s does not fit the device: a uint16 register scaled by 1.5 holds 0..98302.5 s',
    );
    const signed = modbusWriteLimits({ register: 'HoldingRegister', rawType: 'int16', scale: 0.1 }, 'FLOAT');
    expect(refusal(() => normalizeDesired({ name: 't', type: 'FLOAT', unit: 'degC' }, '-3300', signed))).toBe(
      't=-3300: -3300 degC does not fit the device: an int16 register scaled by 0.1 holds -3276.8..3276.7 degC',
    );
  });

  it("refuses a value between two steps of the register's scale and names the nearest one in range", () => {
    expect(refusal(() => normalizeDesired(pulse, '250', pulseLimits))).toBe(
      'relay-0-pulse-on-width=250: 250 s is not a multiple of 1.5 s (a uint16 register scaled by 1.5); nearest 250.5',
    );
    expect(normalizeDesired(pulse, '250.5', pulseLimits)).toBe('250.5');
    expect(normalizeDesired(pulse, '1.5', pulseLimits)).toBe('1.5');
    // 1.6: the nearest step in the model's range is 1.5 (0 is below the minimum).
    expect(refusal(() => normalizeDesired(pulse, '1.6', pulseLimits))).toMatch(/nearest 1\.5$/);
    const tenths = modbusWriteLimits({ register: 'HoldingRegister', rawType: 'int16', scale: 0.1 }, 'FLOAT');
    expect(normalizeDesired({ name: 't', type: 'FLOAT' }, '21.3', tenths)).toBe('21.3');
    expect(refusal(() => normalizeDesired({ name: 't', type: 'FLOAT' }, '21.35', tenths))).toMatch(/nearest 21\.4$/);
    const offset = modbusWriteLimits(
      { register: 'HoldingRegister', rawType: 'uint16', scale: 2, valueOffset: 1 },
      'INT',
    );
    expect(refusal(() => normalizeDesired({ name: 'n', type: 'INT' }, '4', offset))).toBe(
      'n=4: 4 is not a multiple of 2 from 1 (a uint16 register scaled by 2 plus 1); nearest 5',
    );
  });

  it('refuses a string longer than its registers, and leaves coils and floats to their type', () => {
    const name = modbusWriteLimits({ register: 'HoldingRegister', rawType: 'string', limit: 2 }, 'STRING');
    expect(refusal(() => normalizeDesired({ name: 'label', type: 'STRING' }, 'abcde', name))).toBe(
      'label=abcde: "abcde" is 5 characters; 2 registers of ASCII hold 4',
    );
    expect(modbusWriteLimits({ register: 'CoilRegister', offset: 0 }, 'BOOLEAN')).toBeUndefined();
    expect(modbusWriteLimits({ register: 'HoldingRegister', rawType: 'float64' }, 'DOUBLE')).toBeUndefined();
    expect(modbusWriteLimits({ register: 'Nowhere' }, 'INT')).toBeUndefined();
  });
});
