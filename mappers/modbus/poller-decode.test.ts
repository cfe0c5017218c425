import { describe, expect, it } from 'vitest';
import { BYTE_ORDERS, decodeBits, decodeRegisters, RAW_TYPES, registerCount, type RawType } from './codec.js';
import type { DecodeSpec } from './decode-spec.js';
import { decodeAt } from './poller-decode.js';

/** A small deterministic generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const spec = (rawType: RawType, byteOrder: DecodeSpec['byteOrder'], scale = 1, valueOffset = 0): DecodeSpec => {
  const stringRegisters = rawType === 'string' ? 3 : undefined;
  const count = registerCount({ rawType, ...(stringRegisters ? { stringRegisters } : {}) });
  return {
    table: 'HoldingRegister',
    offset: 0,
    count,
    writable: true,
    rawType,
    byteOrder,
    scale,
    valueOffset,
    label: `t ${rawType}`,
    ...(stringRegisters ? { stringRegisters } : {}),
    ...(rawType === 'bit' ? { bit: 5 } : {}),
  };
};

function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('decodeAt', () => {
  it('gives exactly what the codec gives for every raw type, byte order, scale and position', () => {
    const next = rng(42);
    const special = [0, 1, 0x7fff, 0x8000, 0xffff, 0x7f80, 0xff80, 0x8000, 0x7fc0, 0x3f80, 0x0080];
    let cases = 0;
    for (const rawType of RAW_TYPES) {
      for (const byteOrder of BYTE_ORDERS) {
        for (const [scale, valueOffset] of [
          [1, 0],
          [0.1, 0],
          [1, -40],
          [2.5, 3],
        ] as const) {
          const s = spec(rawType, byteOrder, scale, valueOffset);
          for (let k = 0; k < 60; k++) {
            const values = Array.from({ length: 8 }, () =>
              next() < 0.3 ? special[Math.floor(next() * special.length)]! : Math.floor(next() * 0x10000),
            );
            const index = Math.floor(next() * 8); // near the end: short reads too
            const expected = outcome(() => decodeRegisters(values.slice(index, index + s.count), s));
            const actual = outcome(() => decodeAt(values, index, s));
            expect(
              actual,
              `${rawType} ${byteOrder} scale ${scale} offset ${valueOffset} at ${index} of [${values.join(',')}]`,
            ).toEqual(expected);
            if ('value' in (expected as object))
              expect(Object.is((actual as { value: unknown }).value, (expected as { value: unknown }).value)).toBe(
                true,
              );
            cases += 1;
          }
        }
      }
    }
    expect(cases).toBe(RAW_TYPES.length * BYTE_ORDERS.length * 4 * 60);
  });

  it('keeps -0 from a float register and masks registers to 16 bits like the codec', () => {
    const f = spec('float32', 'ABCD');
    expect(Object.is(decodeAt([0x8000, 0x0000], 0, f), -0)).toBe(true);
    for (const rawType of ['uint16', 'int16', 'int32', 'uint32', 'float32'] as const) {
      const s = spec(rawType, 'BADC');
      const odd = [0x1_2345, -1, 0x1_ffff];
      expect(decodeAt(odd, 0, s)).toEqual(decodeRegisters(odd.slice(0, s.count), s));
    }
  });

  it('decodes coils and discrete inputs from the first bit, and names a missing bit', () => {
    const coil: DecodeSpec = { ...spec('bool', 'ABCD'), table: 'CoilRegister', count: 1 };
    expect(decodeAt([false, true, false], 1, coil)).toBe(true);
    expect(() => decodeAt([true], 1, coil)).toThrow(/no bit in the response/);
    expect(decodeAt([true, false], 0, coil)).toBe(decodeBits([true], coil));
  });
});
