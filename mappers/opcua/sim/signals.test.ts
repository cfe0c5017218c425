import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PropertyInstance } from '../../../src/model/index.js';
import { initialValue, signalFor } from './signals.js';

function prop(type: PropertyInstance['type'], extra: Partial<PropertyInstance> = {}): PropertyInstance {
  return {
    name: 'p',
    type,
    accessMode: 'ReadOnly',
    visitor: {},
    collectCycleMs: 1000,
    reportCycleMs: 1000,
    reportToCloud: false,
    ...extra,
  };
}

describe('signalFor', () => {
  it('keeps numbers within minimum..maximum whatever the noise', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0.01, max: 500, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (min, span, noise) => {
          let k = 0;
          const random = () => noise[k++ % noise.length]!;
          const dbl = signalFor(prop('DOUBLE', { minimum: min, maximum: min + span }), random);
          const int = signalFor(prop('INT', { minimum: Math.floor(min), maximum: Math.floor(min) + 10 }), random);
          for (let tick = 0; tick < 80; tick++) {
            const d = dbl(tick) as number;
            expect(d).toBeGreaterThanOrEqual(min - 1e-6);
            expect(d).toBeLessThanOrEqual(min + span + 1e-6);
            const i = int(tick) as number;
            expect(Number.isInteger(i) && i >= Math.floor(min) && i <= Math.floor(min) + 10).toBe(true);
          }
        },
      ),
    );
  });

  it('changes doubles over time and flips booleans sometimes', () => {
    const dbl = signalFor(prop('DOUBLE'), () => 0.5);
    expect(new Set([0, 5, 10, 15].map((t) => dbl(t))).size).toBe(4);
    let n = 0;
    const bool = signalFor(prop('BOOLEAN'), () => (n++ % 2 === 0 ? 0.05 : 0.9));
    expect([bool(0), bool(1), bool(2)]).toEqual([true, true, false]);
  });
});

describe('initialValue', () => {
  it('starts at the desired value, else mid-range', () => {
    expect(initialValue(prop('DOUBLE', { desired: '21.5' }))).toBe(21.5);
    expect(initialValue(prop('INT', { minimum: 0, maximum: 2 }))).toBe(1);
    expect(initialValue(prop('BOOLEAN', { desired: 'true' }))).toBe(true);
    expect(initialValue(prop('STRING'))).toBe('p-1');
  });
});
