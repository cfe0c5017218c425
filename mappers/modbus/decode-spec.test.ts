import { describe, expect, it } from 'vitest';
import { isKedgeError, type KedgeError } from '../../src/core/errors/index.js';
import { decodeRegisters } from './codec.js';
import { deriveDecodeSpec, type ModbusVisitorInput } from './decode-spec.js';

function failure(visitor: ModbusVisitorInput): KedgeError {
  try {
    deriveDecodeSpec(visitor, { label: 'default/meter-1 property power' });
  } catch (err) {
    if (isKedgeError(err)) return err;
    throw err;
  }
  throw new Error('expected deriveDecodeSpec to throw');
}

const holding = { register: 'HoldingRegister', offset: 10 };

describe('KubeEdge semantics (dataType + limit)', () => {
  it('float with limit 1 is one 16-bit register scaled into a float', () => {
    const spec = deriveDecodeSpec({ ...holding, dataType: 'float', limit: 1, scale: 0.1 });
    expect(spec).toMatchObject({ rawType: 'uint16', count: 1, scale: 0.1, table: 'HoldingRegister', offset: 10 });
    expect(decodeRegisters([253], spec)).toBeCloseTo(25.3, 9);
  });

  it('float with limit 2 is float32; double with limit 4 is float64', () => {
    expect(deriveDecodeSpec({ ...holding, dataType: 'float', limit: 2 })).toMatchObject({
      rawType: 'float32',
      count: 2,
    });
    expect(deriveDecodeSpec({ ...holding, dataType: 'double', limit: 4 })).toMatchObject({
      rawType: 'float64',
      count: 4,
    });
    expect(deriveDecodeSpec({ ...holding, dataType: 'double', limit: 1 })).toMatchObject({
      rawType: 'uint16',
      count: 1,
    });
  });

  it('int is unsigned like KubeEdge: limit 1, 2, 4', () => {
    expect(deriveDecodeSpec({ ...holding, dataType: 'int', limit: 1 }).rawType).toBe('uint16');
    expect(deriveDecodeSpec({ ...holding, dataType: 'int', limit: 2 }).rawType).toBe('uint32');
    expect(deriveDecodeSpec({ ...holding, dataType: 'INT', limit: 4 }).rawType).toBe('uint64');
  });

  it('isRegisterSwap / isSwap map to CDAB / BADC / DCBA', () => {
    const f = { ...holding, dataType: 'float', limit: 2 };
    expect(deriveDecodeSpec(f).byteOrder).toBe('ABCD');
    expect(deriveDecodeSpec({ ...f, isRegisterSwap: true }).byteOrder).toBe('CDAB');
    expect(deriveDecodeSpec({ ...f, isSwap: true }).byteOrder).toBe('BADC');
    expect(deriveDecodeSpec({ ...f, isSwap: true, isRegisterSwap: true }).byteOrder).toBe('DCBA');
  });

  it('KubeEdge-style swapped float decodes to the right value', () => {
    const spec = deriveDecodeSpec({ ...holding, dataType: 'float', limit: 2, isRegisterSwap: true });
    expect(decodeRegisters([0xe979, 0x42f6], spec)).toBeCloseTo(123.456, 4);
  });

  it('string takes limit registers; boolean is one register', () => {
    expect(deriveDecodeSpec({ ...holding, dataType: 'string', limit: 8 })).toMatchObject({
      rawType: 'string',
      count: 8,
    });
    expect(deriveDecodeSpec({ ...holding, dataType: 'boolean', limit: 1 })).toMatchObject({
      rawType: 'bool',
      count: 1,
    });
  });

  it('the DeviceModel property type stands in for a missing dataType', () => {
    const spec = deriveDecodeSpec({ ...holding, limit: 2 }, { propertyType: 'FLOAT' });
    expect(spec.rawType).toBe('float32');
  });

  it('coils and discrete inputs read one bit as bool whatever dataType says', () => {
    expect(deriveDecodeSpec({ register: 'CoilRegister', offset: 3, dataType: 'int', limit: 1 })).toMatchObject({
      rawType: 'bool',
      count: 1,
      writable: true,
    });
    expect(deriveDecodeSpec({ register: 'DiscreteInputRegister', offset: 3 }).writable).toBe(false);
    expect(deriveDecodeSpec({ register: 'InputRegister', dataType: 'int' }).writable).toBe(false);
  });

  it('missing scale means 1, limit defaults to the natural width of the dataType', () => {
    expect(deriveDecodeSpec({ ...holding, dataType: 'float' })).toMatchObject({
      rawType: 'float32',
      scale: 1,
      count: 2,
    });
  });
});

describe('kedge fields win', () => {
  it('rawType and byteOrder override dataType and the swap flags', () => {
    const spec = deriveDecodeSpec({
      ...holding,
      dataType: 'int',
      limit: 2,
      isSwap: true,
      rawType: 'int32',
      byteOrder: 'CDAB',
      valueOffset: 5,
    });
    expect(spec).toMatchObject({ rawType: 'int32', byteOrder: 'CDAB', count: 2, valueOffset: 5 });
  });

  it('rawType bit carries the bit index', () => {
    expect(deriveDecodeSpec({ ...holding, rawType: 'bit', bit: 7 })).toMatchObject({
      rawType: 'bit',
      bit: 7,
      count: 1,
    });
  });
});

describe('validation errors are KedgeErrors naming device and register', () => {
  it('a 2-register raw type with limit 1', () => {
    const err = failure({ ...holding, rawType: 'float32', limit: 1 });
    expect(err.code).toBe('KEDGE_MODBUS_INVALID_VISITOR');
    expect(err.message).toContain('default/meter-1 property power (HoldingRegister 10)');
    expect(err.message).toContain('needs 2 registers but limit is 1');
  });

  it.each<[string, ModbusVisitorInput, string]>([
    ['unknown register', { register: 'Holding', dataType: 'int' }, 'register must be one of'],
    ['offset out of range', { ...holding, offset: 70000, dataType: 'int' }, 'offset must be 0..65535'],
    ['scale zero', { ...holding, dataType: 'int', scale: 0 }, 'scale must be a non-zero number'],
    ['bad byteOrder', { ...holding, rawType: 'int32', byteOrder: 'ACBD' }, 'byteOrder must be one of'],
    ['bad rawType', { ...holding, rawType: 'int8' }, 'rawType must be one of'],
    ['float limit 4', { ...holding, dataType: 'float', limit: 4 }, 'ambiguous'],
    ['double limit 2', { ...holding, dataType: 'double', limit: 2 }, 'ambiguous'],
    ['bytes', { ...holding, dataType: 'bytes', limit: 2 }, 'not supported'],
    ['no type at all', { ...holding }, 'set dataType'],
    ['string without limit', { ...holding, rawType: 'string' }, 'needs limit'],
    ['bit without index', { ...holding, rawType: 'bit' }, 'needs bit 0..15'],
    ['limit over 125', { ...holding, dataType: 'string', limit: 126 }, 'limit must be 1..125'],
    ['non-bool on a coil', { register: 'CoilRegister', rawType: 'int16' }, 'rawType must be bool'],
  ])('%s', (_name, visitor, text) => {
    const err = failure(visitor);
    expect(err.code).toBe('KEDGE_MODBUS_INVALID_VISITOR');
    expect(err.message).toContain(text);
  });
});
