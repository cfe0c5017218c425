import { DataType, VariantArrayType, type Variant } from 'node-opcua';
import type { RawQuality } from '../../src/contracts/index.js';
import type { PropertyType, PropertyValue } from '../../src/model/index.js';

/**
 * OPC UA variant -> property value, typed per the DeviceModel property type.
 *
 * Rules (documented in README of the driver, tested in variant-map.test.ts):
 * - Boolean, SByte..UInt32, Float, Double map to boolean/number directly.
 * - Int64/UInt64 (node-opcua carries them as [high, low] words) become a number; beyond 2^53 the
 *   value is rounded and the quality is uncertain, because a JavaScript number cannot hold it.
 * - DateTime: an ISO 8601 string for STRING properties, ms since the epoch for numeric ones
 *   (INT/FLOAT/DOUBLE) so that ranges and deadbands work on it.
 * - String, LocalizedText (its text), QualifiedName (its name), NodeId/Guid (their text).
 * - ByteString: base64 text.
 * - Then the value is coerced to the property type: INT rounds a fraction (uncertain), BOOLEAN
 *   treats a non-zero number as true, STRING takes the text of anything.
 * Arrays, matrices, structures and empty variants are bad: the model has no type for them.
 */
export interface Mapped {
  value: PropertyValue | null;
  quality: RawQuality;
  reason?: string;
}

export function mapVariant(variant: Variant | null | undefined, type: PropertyType): Mapped {
  if (!variant || variant.dataType === DataType.Null || variant.value === null || variant.value === undefined) {
    return bad('the server returned an empty value (Null variant)');
  }
  if (variant.arrayType !== undefined && variant.arrayType !== VariantArrayType.Scalar) {
    return bad(`the server returned an array of ${DataType[variant.dataType]}; kedge maps scalars only`);
  }
  const raw = scalarOf(variant, type);
  if ('reason' in raw && raw.value === null) return bad(raw.reason ?? 'unsupported value');
  const coerced = coerce(raw.value as PropertyValue, type);
  const reason = raw.reason ?? coerced.reason;
  const quality: RawQuality = coerced.quality === 'bad' ? 'bad' : raw.reason ? 'uncertain' : coerced.quality;
  return reason === undefined ? { value: coerced.value, quality } : { value: coerced.value, quality, reason };
}

function bad(reason: string): Mapped {
  return { value: null, quality: 'bad', reason };
}

type Raw = { value: PropertyValue | null; reason?: string };

function scalarOf(variant: Variant, type: PropertyType): Raw {
  const v: unknown = variant.value;
  switch (variant.dataType) {
    case DataType.Boolean:
      return { value: Boolean(v) };
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
    case DataType.StatusCode:
      return { value: typeof v === 'number' ? v : Number((v as { value?: number }).value ?? v) };
    case DataType.Int64:
    case DataType.UInt64:
      return int64Of(v as [number, number], variant.dataType === DataType.Int64);
    case DataType.DateTime: {
      const ms = (v as Date).getTime();
      if (!Number.isFinite(ms)) return { value: null, reason: 'the server returned an invalid DateTime' };
      return { value: type === 'STRING' ? new Date(ms).toISOString() : ms };
    }
    case DataType.String:
      return { value: String(v) };
    case DataType.LocalizedText:
      return { value: String((v as { text?: string | null }).text ?? '') };
    case DataType.QualifiedName:
      return { value: String((v as { name?: string | null }).name ?? '') };
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
    case DataType.Guid:
      return { value: String(v) };
    case DataType.ByteString:
      return { value: Buffer.isBuffer(v) ? v.toString('base64') : '' };
    default:
      return {
        value: null,
        reason: `OPC UA type ${DataType[variant.dataType] ?? variant.dataType} has no kedge property type`,
      };
  }
}

/** [high, low] 32-bit words -> number; uncertain when beyond 2^53 (rounded). */
export function int64Of(words: [number, number], signed: boolean): Raw {
  const [high, low] = words;
  const unsigned = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  const big = signed ? BigInt.asIntN(64, unsigned) : unsigned;
  const value = Number(big);
  if (!Number.isSafeInteger(value)) return { value, reason: `64-bit value ${big} exceeds 2^53 and was rounded` };
  return { value };
}

/** number -> [high, low] words for an Int64/UInt64 variant. */
export function int64Words(value: number): [number, number] {
  const big = BigInt.asUintN(64, BigInt(value));
  return [Number(big >> 32n), Number(big & 0xffffffffn)];
}

function coerce(value: PropertyValue, type: PropertyType): Mapped {
  switch (type) {
    case 'INT': {
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) return bad(`${JSON.stringify(value)} is not a number for an INT property`);
      if (Number.isInteger(n)) return { value: n, quality: 'good' };
      return {
        value: Math.round(n),
        quality: 'uncertain',
        reason: `${n} rounded to a whole number for an INT property`,
      };
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'number' ? value : Number(value);
      if (Number.isNaN(n) && typeof value === 'string')
        return bad(`${JSON.stringify(value)} is not a number for a ${type} property`);
      return { value: n, quality: 'good' };
    }
    case 'BOOLEAN':
      if (typeof value === 'boolean') return { value, quality: 'good' };
      if (typeof value === 'number') return { value: value !== 0, quality: 'good' };
      if (value === 'true' || value === 'false') return { value: value === 'true', quality: 'good' };
      return bad(`${JSON.stringify(value)} is not a boolean`);
    case 'STRING':
    case 'BYTES':
    case 'STREAM':
      return { value: String(value), quality: 'good' };
  }
}
