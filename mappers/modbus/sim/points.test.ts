import { describe, expect, it } from 'vitest';
import { decodeRegisters } from '../codec.js';
import { isKedgeError } from '../../../src/core/errors/index.js';
import { UnitMemory } from './memory.js';
import { checkPoint, generatorValue, prng, writePoint, type SimPoint } from './points.js';

describe('generators', () => {
  const random = prng(7);
  it('sine and ramp stay within min..max and hit their phases', () => {
    const sine = { kind: 'sine' as const, min: 10, max: 20, periodMs: 1000 };
    expect(generatorValue(sine, 0, undefined, random)).toBeCloseTo(15, 9);
    expect(generatorValue(sine, 250, undefined, random)).toBeCloseTo(20, 9);
    expect(generatorValue(sine, 750, undefined, random)).toBeCloseTo(10, 9);
    const ramp = { kind: 'ramp' as const, min: 0, max: 100, periodMs: 1000 };
    expect(generatorValue(ramp, 500, undefined, random)).toBe(50);
    expect(generatorValue(ramp, 1250, undefined, random)).toBe(25);
  });

  it('random walk moves at most one step and is bounded', () => {
    const walk = { kind: 'randomWalk' as const, min: 0, max: 1, step: 0.3 };
    let v = generatorValue(walk, 0, undefined, random) as number;
    for (let i = 0; i < 1000; i++) {
      const next = generatorValue(walk, i, v, random) as number;
      expect(Math.abs(next - v)).toBeLessThanOrEqual(0.3 + 1e-12);
      expect(next).toBeGreaterThanOrEqual(0);
      expect(next).toBeLessThanOrEqual(1);
      v = next;
    }
  });

  it('a seeded PRNG replays', () => {
    const a = prng(42);
    const b = prng(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('writePoint', () => {
  it("encodes with the point's raw type, order, scale and offset", () => {
    const m = new UnitMemory();
    const point: SimPoint = {
      unit: 1,
      table: 'HoldingRegister',
      offset: 4,
      rawType: 'float32',
      byteOrder: 'CDAB',
      generator: { kind: 'constant', value: 0 },
    };
    writePoint(m, point, 123.5);
    expect(decodeRegisters(m.readRegisters('HoldingRegister', 4, 2), point)).toBe(123.5);
    const scaled: SimPoint = { ...point, offset: 10, rawType: 'int16', scale: 0.1, valueOffset: -40 };
    writePoint(m, scaled, 21.5);
    expect(m.readRegisters('HoldingRegister', 10, 1)).toEqual([615]);
  });

  it('bit points keep the other bits; coil points take booleans from numbers', () => {
    const m = new UnitMemory();
    m.writeRegisters('HoldingRegister', 0, [0x8000]);
    writePoint(
      m,
      {
        unit: 1,
        table: 'HoldingRegister',
        offset: 0,
        rawType: 'bit',
        bit: 0,
        generator: { kind: 'constant', value: true },
      },
      true,
    );
    expect(m.readRegisters('HoldingRegister', 0, 1)).toEqual([0x8001]);
    const coil: SimPoint = {
      unit: 1,
      table: 'CoilRegister',
      offset: 3,
      rawType: 'bool',
      generator: { kind: 'sine', min: 0, max: 1, periodMs: 10 },
    };
    writePoint(m, coil, 0.9);
    expect(m.readBits('CoilRegister', 3, 1)).toEqual([true]);
    writePoint(m, coil, 0.1);
    expect(m.readBits('CoilRegister', 3, 1)).toEqual([false]);
  });

  it('checkPoint rejects impossible points with KEDGE_MODBUS_SIM_CONFIG', () => {
    const bad: SimPoint = {
      unit: 1,
      table: 'HoldingRegister',
      offset: 65535,
      rawType: 'float32',
      generator: { kind: 'constant', value: 1 },
    };
    let err: unknown;
    try {
      checkPoint(bad);
    } catch (e) {
      err = e;
    }
    expect(isKedgeError(err) && err.code).toBe('KEDGE_MODBUS_SIM_CONFIG');
  });
});
