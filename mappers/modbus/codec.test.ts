import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isKedgeError } from '../../src/core/errors/index.js';
import {
  BYTE_ORDERS,
  bytesToRegisters,
  decodeBits,
  decodeRaw,
  decodeRegisters,
  encodeCoil,
  encodeRegisters,
  registerCount,
  registersToBytes,
  type ByteOrder,
  type RawType,
} from './codec.js';

const order = fc.constantFrom<ByteOrder>(...BYTE_ORDERS);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isKedgeError(err) ? err.code : 'not a KedgeError';
  }
  return undefined;
}

describe('fixed vectors', () => {
  // 123.456 as float32 is 0x42F6E979.
  const vectors: Record<ByteOrder, number[]> = {
    ABCD: [0x42f6, 0xe979],
    BADC: [0xf642, 0x79e9],
    CDAB: [0xe979, 0x42f6],
    DCBA: [0x79e9, 0xf642],
  };
  for (const bo of BYTE_ORDERS) {
    it(`float32 123.456 in ${bo}`, () => {
      expect(decodeRegisters(vectors[bo], { rawType: 'float32', byteOrder: bo })).toBeCloseTo(123.456, 4);
      expect(encodeRegisters(123.456, { rawType: 'float32', byteOrder: bo })).toEqual(vectors[bo]);
    });
  }

  it('the classic 2.4e-41: 10.0 written ABCD and read with words swapped', () => {
    const wire = [0x4120, 0x0000];
    expect(decodeRegisters(wire, { rawType: 'float32', byteOrder: 'ABCD' })).toBe(10);
    const wrong = decodeRegisters(wire, { rawType: 'float32', byteOrder: 'CDAB' }) as number;
    expect(wrong).toBeGreaterThan(2.3e-41);
    expect(wrong).toBeLessThan(2.4e-41);
  });

  it('int16 is signed, uint16 is not', () => {
    expect(decodeRegisters([0xfffe], { rawType: 'int16' })).toBe(-2);
    expect(decodeRegisters([0xfffe], { rawType: 'uint16' })).toBe(65534);
  });

  it('int32/uint32 across two registers in each order', () => {
    expect(decodeRegisters([0x0001, 0x0002], { rawType: 'uint32' })).toBe(0x00010002);
    expect(decodeRegisters([0x0002, 0x0001], { rawType: 'uint32', byteOrder: 'CDAB' })).toBe(0x00010002);
    expect(decodeRegisters([0x0100, 0x0200], { rawType: 'uint32', byteOrder: 'BADC' })).toBe(0x00010002);
    expect(decodeRegisters([0x0200, 0x0100], { rawType: 'uint32', byteOrder: 'DCBA' })).toBe(0x00010002);
    expect(decodeRegisters([0xffff, 0xfffd], { rawType: 'int32' })).toBe(-3);
  });

  it('64-bit words reverse as a whole with CDAB (KubeEdge SwitchRegister)', () => {
    const abcd = [0x0001, 0x0002, 0x0003, 0x0004];
    expect(decodeRaw(abcd, { rawType: 'uint64' })).toBe(0x0001000200030004n);
    expect(decodeRaw([...abcd].reverse(), { rawType: 'uint64', byteOrder: 'CDAB' })).toBe(0x0001000200030004n);
  });

  it('int64 beyond 2^53 decodes to the nearest double, exactly via decodeRaw', () => {
    const regs = [0x7fff, 0xffff, 0xffff, 0xffff];
    expect(decodeRaw(regs, { rawType: 'int64' })).toBe(2n ** 63n - 1n);
    expect(decodeRegisters(regs, { rawType: 'int64' })).toBe(2 ** 63); // 2^63 - 1 has no double: the nearest is 2^63
    expect(decodeRegisters([0, 0, 0, 42], { rawType: 'int64' })).toBe(42);
  });

  it('float64 1.5 big-endian', () => {
    expect(decodeRegisters([0x3ff8, 0, 0, 0], { rawType: 'float64' })).toBe(1.5);
    // -0 survives: identity scale/offset steps are skipped (-0 + 0 would be +0)
    expect(Object.is(decodeRegisters([0x8000, 0], { rawType: 'float32' }), -0)).toBe(true);
  });

  it('strings: 2 chars per register, trailing NULs and spaces trimmed, byte swap applies', () => {
    const regs = [0x4142, 0x4344, 0x2000];
    expect(decodeRegisters(regs, { rawType: 'string', stringRegisters: 3 })).toBe('ABCD');
    expect(decodeRegisters([0x4241, 0x0043], { rawType: 'string', stringRegisters: 2, byteOrder: 'BADC' })).toBe('ABC');
    expect(encodeRegisters('ABC', { rawType: 'string', stringRegisters: 2 })).toEqual([0x4142, 0x4300]);
  });

  it('bit within a register, LSB is bit 0', () => {
    expect(decodeRegisters([0b1000_0000_0000_0100], { rawType: 'bit', bit: 2 })).toBe(true);
    expect(decodeRegisters([0b1000_0000_0000_0100], { rawType: 'bit', bit: 15 })).toBe(true);
    expect(decodeRegisters([0b1000_0000_0000_0100], { rawType: 'bit', bit: 3 })).toBe(false);
  });

  it('bit writes are read-modify-write of the current register', () => {
    expect(encodeRegisters(true, { rawType: 'bit', bit: 1 }, [0x8000])).toEqual([0x8002]);
    expect(encodeRegisters(false, { rawType: 'bit', bit: 15 }, [0x8002])).toEqual([0x0002]);
    expect(codeOf(() => encodeRegisters(true, { rawType: 'bit', bit: 1 }))).toBe('KEDGE_MODBUS_INVALID_VISITOR');
    expect(codeOf(() => decodeRegisters([1], { rawType: 'bit', bit: 16 }))).toBe('KEDGE_MODBUS_INVALID_VISITOR');
  });

  it('bool on a register is "non-zero"; coils use the first bit', () => {
    expect(decodeRegisters([0x0100], { rawType: 'bool' })).toBe(true);
    expect(decodeRegisters([0], { rawType: 'bool' })).toBe(false);
    expect(decodeBits([true, false])).toBe(true);
    expect(codeOf(() => decodeBits([]))).toBe('KEDGE_MODBUS_SHORT_READ');
    expect(encodeCoil('true')).toBe(true);
    expect(encodeCoil(0)).toBe(false);
  });

  it('scale first, then valueOffset, both ways', () => {
    const spec = { rawType: 'int16' as const, scale: 0.1, valueOffset: -40 };
    expect(decodeRegisters([650], spec)).toBeCloseTo(25, 9);
    expect(encodeRegisters(25, spec)).toEqual([650]);
  });

  it('short reads and out-of-range writes are KedgeErrors naming the register', () => {
    let message = '';
    try {
      decodeRegisters([1], { rawType: 'float32', label: 'pump-1 flow (HoldingRegister 10)' });
    } catch (err) {
      message = (err as Error).message;
      expect(isKedgeError(err) && err.code).toBe('KEDGE_MODBUS_SHORT_READ');
    }
    expect(message).toContain('pump-1 flow (HoldingRegister 10)');
    expect(codeOf(() => encodeRegisters(70000, { rawType: 'uint16' }))).toBe('KEDGE_MODBUS_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeRegisters(-1, { rawType: 'uint32' }))).toBe('KEDGE_MODBUS_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeRegisters('abc', { rawType: 'int16' }))).toBe('KEDGE_MODBUS_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeRegisters('toolong', { rawType: 'string', stringRegisters: 2 }))).toBe(
      'KEDGE_MODBUS_VALUE_OUT_OF_RANGE',
    );
    expect(codeOf(() => encodeRegisters('é', { rawType: 'string' }))).toBe('KEDGE_MODBUS_VALUE_OUT_OF_RANGE');
  });

  it('register counts per type', () => {
    const counts: Array<[RawType, number]> = [
      ['bool', 1],
      ['bit', 1],
      ['int16', 1],
      ['uint16', 1],
      ['int32', 2],
      ['uint32', 2],
      ['float32', 2],
      ['int64', 4],
      ['uint64', 4],
      ['float64', 4],
    ];
    for (const [rawType, n] of counts) expect(registerCount({ rawType })).toBe(n);
    expect(registerCount({ rawType: 'string', stringRegisters: 5 })).toBe(5);
  });
});

describe('round trips (encode then decode gives the value back)', () => {
  const intCase = (rawType: RawType, min: number, max: number) =>
    it(`${rawType} in every order`, () => {
      fc.assert(
        fc.property(fc.integer({ min, max }), order, (v, bo) => {
          const spec = { rawType, byteOrder: bo };
          expect(decodeRegisters(encodeRegisters(v, spec), spec)).toBe(v);
        }),
      );
    });
  intCase('int16', -32768, 32767);
  intCase('uint16', 0, 65535);
  intCase('int32', -(2 ** 31), 2 ** 31 - 1);
  intCase('uint32', 0, 2 ** 32 - 1);

  it('int64/uint64 as bigint, exact, in every order', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        order,
        (s, u, bo) => {
          expect(
            decodeRaw(encodeRegisters(s, { rawType: 'int64', byteOrder: bo }), { rawType: 'int64', byteOrder: bo }),
          ).toBe(s);
          expect(
            decodeRaw(encodeRegisters(u, { rawType: 'uint64', byteOrder: bo }), { rawType: 'uint64', byteOrder: bo }),
          ).toBe(u);
        },
      ),
    );
  });

  it('int64 as number: any integral double in range comes back unchanged', () => {
    const inRange = fc
      .double({ min: -(2 ** 63), max: 2 ** 62, noNaN: true })
      .map(Math.trunc)
      .filter((v) => !Object.is(v, -0));
    fc.assert(
      fc.property(inRange, order, (v, bo) => {
        const spec = { rawType: 'int64' as const, byteOrder: bo };
        expect(decodeRegisters(encodeRegisters(v, spec), spec)).toBe(v);
      }),
    );
  });

  it('float32 in every order (value rounded to float32 first)', () => {
    fc.assert(
      fc.property(fc.float(), order, (v, bo) => {
        const spec = { rawType: 'float32' as const, byteOrder: bo };
        expect(decodeRegisters(encodeRegisters(v, spec), spec)).toBe(Math.fround(v));
      }),
    );
  });

  it('float64 in every order', () => {
    fc.assert(
      fc.property(fc.double(), order, (v, bo) => {
        const spec = { rawType: 'float64' as const, byteOrder: bo };
        expect(decodeRegisters(encodeRegisters(v, spec), spec)).toBe(v);
      }),
    );
  });

  it('string in every order', () => {
    const text = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 20,
    });
    fc.assert(
      fc.property(text, order, (v, bo) => {
        const spec = { rawType: 'string' as const, byteOrder: bo, stringRegisters: 10 };
        expect(decodeRegisters(encodeRegisters(v, spec), spec)).toBe(v);
      }),
    );
  });

  it('bool and bit', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 0xffff }),
        order,
        (v, bit, cur, bo) => {
          expect(
            decodeRegisters(encodeRegisters(v, { rawType: 'bool', byteOrder: bo }), { rawType: 'bool', byteOrder: bo }),
          ).toBe(v);
          const spec = { rawType: 'bit' as const, bit, byteOrder: bo };
          const written = encodeRegisters(v, spec, [cur]);
          expect(decodeRegisters(written, spec)).toBe(v);
          // the other 15 bits are untouched
          const mask = ~(1 << bit) & 0xffff;
          const before = registersToBytes([cur], bo).readUInt16BE(0);
          expect(registersToBytes(written, bo).readUInt16BE(0) & mask).toBe(before & mask);
        },
      ),
    );
  });

  it('scaled integers come back within half a scale step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -32768, max: 32767 }),
        fc.constantFrom(0.1, 0.01, 2, 10),
        fc.integer({ min: -100, max: 100 }),
        order,
        (raw, scale, offset, bo) => {
          const spec = { rawType: 'int16' as const, byteOrder: bo, scale, valueOffset: offset };
          const value = raw * scale + offset;
          const back = decodeRegisters(encodeRegisters(value, spec), spec) as number;
          expect(Math.abs(back - value)).toBeLessThanOrEqual(scale / 2 + 1e-9);
        },
      ),
    );
  });

  it('registersToBytes and bytesToRegisters are inverse', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }), order, (regs, bo) => {
        expect(bytesToRegisters(registersToBytes(regs, bo), bo)).toEqual(regs);
      }),
    );
  });
});
