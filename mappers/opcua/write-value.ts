import { DataType, Variant, VariantArrayType } from 'node-opcua';
import type { PropertyValue } from '../../src/model/index.js';
import { opcuaErrors } from './errors.js';
import { int64Words } from './variant-map.js';

const INT_RANGES: Partial<Record<DataType, [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
  [DataType.Int64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [DataType.UInt64]: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Builds the variant for a write with the variable's own built-in type (read from the server), so
 * that an Int16 setpoint is written as Int16 even though the model only says INT. Throws
 * KEDGE_OPCUA_BAD_WRITE_VALUE naming `what` (device/property) when the value does not fit.
 */
export function variantFor(dataType: DataType, value: PropertyValue, what: string): Variant {
  const fail = (expected: string) =>
    opcuaErrors.create(
      'KEDGE_OPCUA_BAD_WRITE_VALUE',
      `${what}: ${JSON.stringify(value)} cannot be written as ${DataType[dataType]}: expected ${expected}`,
      {
        detail: { dataType: DataType[dataType], value },
      },
    );
  const range = INT_RANGES[dataType];
  if (range) {
    const n = typeof value === 'boolean' ? Number(value) : Number(value);
    if (!Number.isInteger(n) || n < range[0] || n > range[1]) throw fail(`a whole number in ${range[0]}..${range[1]}`);
    const scalar = dataType === DataType.Int64 || dataType === DataType.UInt64 ? int64Words(n) : n;
    return new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: scalar });
  }
  switch (dataType) {
    case DataType.Boolean:
      if (typeof value === 'boolean') return new Variant({ dataType, value });
      if (typeof value === 'number') return new Variant({ dataType, value: value !== 0 });
      if (value === 'true' || value === 'false') return new Variant({ dataType, value: value === 'true' });
      throw fail('true or false');
    case DataType.Float:
    case DataType.Double: {
      const n = typeof value === 'boolean' ? Number(value) : Number(value);
      if (!Number.isFinite(n)) throw fail('a finite number');
      return new Variant({ dataType, value: n });
    }
    case DataType.String:
      return new Variant({ dataType, value: String(value) });
    case DataType.LocalizedText:
      return new Variant({ dataType, value: { text: String(value) } });
    case DataType.DateTime: {
      const date = new Date(typeof value === 'boolean' ? NaN : value);
      if (!Number.isFinite(date.getTime())) throw fail('ms since the epoch or an ISO 8601 date');
      return new Variant({ dataType, value: date });
    }
    case DataType.ByteString:
      return new Variant({ dataType, value: Buffer.from(String(value), 'base64') });
    default:
      throw fail(`a variable kedge can write (its type ${DataType[dataType] ?? dataType} is not supported)`);
  }
}
