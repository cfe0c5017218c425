import protobuf from 'protobufjs';
import type { PbAny, PbCustomizedValue } from './types.js';

/**
 * configData values as KubeEdge packs them into google.protobuf.Any (edge/pkg/devicetwin/
 * dtcommon/util.go dataToAny; mapper-framework pkg/common/dataconverter.go DecodeAnyValue reads
 * them back): a string is a StringValue, a boolean a BoolValue, a JSON number a FloatValue (float32,
 * since Go decodes every JSON number as float64). kedge does the same, except where a float32
 * would change the number: a whole number beyond float32's exact range is an Int64Value (which
 * KubeEdge's decoder reads too), and a nested object or list (KubeEdge refuses those) a
 * google.protobuf.Struct / ListValue (KubeEdge's decoder skips such a key; kedge's reads it).
 */
const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/wrappers.proto')!);
root.addJSON(protobuf.common.get('google/protobuf/struct.proto')!.nested!);
const PREFIX = 'type.googleapis.com/google.protobuf.';
const type = (name: string) => root.lookupType(`google.protobuf.${name}`);

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function toAny(value: unknown): PbAny | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return pack('StringValue', { value });
  if (typeof value === 'boolean') return pack('BoolValue', { value });
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) > 2 ** 24) return pack('Int64Value', { value });
    return pack('FloatValue', { value });
  }
  if (Array.isArray(value)) return pack('ListValue', { values: value.map(toValue) });
  if (typeof value === 'object') return pack('Struct', toStruct(value as Record<string, unknown>));
  return undefined;
}

export function fromAny(any: PbAny): unknown {
  const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1).replace('google.protobuf.', '');
  const t = type(name);
  // oneofs: a google.protobuf.Value says which of its fields it holds in `kind`.
  const decoded = t.toObject(t.decode(any.value), { oneofs: true, longs: Number, defaults: true });
  switch (name) {
    case 'StringValue':
    case 'BoolValue':
      return decoded['value'] ?? (name === 'StringValue' ? '' : false);
    case 'Int32Value':
    case 'UInt32Value':
    case 'Int64Value':
    case 'UInt64Value':
      return Number(decoded['value'] ?? 0);
    case 'FloatValue':
      return shortestFloat32(Number(decoded['value'] ?? 0));
    case 'DoubleValue':
      return Number(decoded['value'] ?? 0);
    case 'Struct':
      return fromStruct(decoded);
    case 'ListValue':
      return ((decoded['values'] as unknown[]) ?? []).map(fromValue);
    default:
      throw new Error(`configData value of type ${any.type_url} is not one kedge reads`);
  }
}

/** A JSON map (configData) as KubeEdge's CustomizedValue; null entries are left out. */
export function toCustomized(data: Record<string, unknown> | undefined): PbCustomizedValue | null {
  if (!data) return null;
  const out: Record<string, PbAny> = {};
  for (const [k, v] of Object.entries(data)) {
    const any = toAny(v);
    if (any) out[k] = any;
  }
  return { data: out };
}

export function fromCustomized(value: PbCustomizedValue | null | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value.data ?? {})) out[k] = fromAny(v);
  return out;
}

/**
 * A float32 as the shortest decimal that is the same float32 (21.5 -> 21.5, 0.1f -> 0.1 rather
 * than 0.10000000149011612), so that a scale of 0.1 written in YAML is 0.1 again in the mapper.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || Number.isInteger(f)) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(f)) return candidate;
  }
  return f;
}

function pack(name: string, message: Record<string, unknown>): PbAny {
  const t = type(name);
  return { type_url: `${PREFIX}${name}`, value: Buffer.from(t.encode(t.fromObject(message)).finish()) };
}

function toStruct(obj: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

function toValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

function fromStruct(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((s['fields'] as Record<string, Record<string, unknown>>) ?? {}))
    out[k] = fromValue(v);
  return out;
}

function fromValue(v: unknown): unknown {
  const value = v as Record<string, unknown>;
  switch (value['kind']) {
    case 'stringValue':
    case 'numberValue':
    case 'boolValue':
      return value[value['kind']];
    case 'structValue':
      return fromStruct(value['structValue'] as Record<string, unknown>);
    case 'listValue':
      return (((value['listValue'] as Record<string, unknown>)['values'] as unknown[]) ?? []).map(fromValue);
    default:
      return null;
  }
}
