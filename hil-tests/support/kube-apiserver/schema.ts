import type { Schema } from './resources.js';

/**
 * What the API server does with an object against a structural schema: prune fields the schema
 * does not know (unless x-kubernetes-preserve-unknown-fields), drop nulls of non-nullable fields,
 * then validate types, enums, required fields, bounds and the formats a client can get wrong
 * (metav1.Time and metav1.MicroTime).
 */
export function pruneObject(obj: Record<string, unknown>, schema: Schema): string[] {
  const unknown: string[] = [];
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const sub = schema.properties?.[key];
    if (!sub) {
      if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
        unknown.push(`.${key}`);
        delete obj[key];
      }
      continue;
    }
    obj[key] = prune(obj[key], sub, `.${key}`, unknown);
    if (obj[key] === undefined) delete obj[key];
  }
  return unknown;
}

function prune(value: unknown, schema: Schema, path: string, unknown: string[]): unknown {
  if (value === null) return schema['nullable'] === true ? null : undefined;
  if (Array.isArray(value)) {
    if (!schema.items) return value;
    return value.map((v, i) => prune(v, schema.items!, `${path}[${i}]`, unknown)).filter((v) => v !== undefined);
  }
  if (typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(obj)) {
    const sub =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) {
      obj[key] = prune(obj[key], sub, `${path}.${key}`, unknown);
      if (obj[key] === undefined) delete obj[key];
    } else if (!preserve && schema.additionalProperties !== true && schema.type === 'object') {
      unknown.push(`${path}.${key}`);
      delete obj[key];
    }
  }
  return obj;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RFC3339_MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

export function validateObject(obj: Record<string, unknown>, schema: Schema): string[] {
  const errors: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
    if (obj[key] !== undefined) validate(obj[key], sub, key, errors);
  }
  for (const key of schema.required ?? []) if (obj[key] === undefined) errors.push(`${key}: Required value`);
  return errors;
}

function validate(value: unknown, schema: Schema, path: string, errors: string[]): void {
  if (value === null) return;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !Number.isInteger(value))
      errors.push(`${path}: Invalid value: must be an integer or a string`);
    return;
  }
  const type = schema.type;
  const actual = Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value;
  if (type === 'integer') {
    if (!Number.isInteger(value)) return void errors.push(`${path}: Invalid value: "${actual}": must be integer`);
  } else if (type === 'number') {
    if (typeof value !== 'number') return void errors.push(`${path}: Invalid value: "${actual}": must be number`);
  } else if (type && type !== actual) {
    return void errors.push(`${path}: Invalid value: "${actual}": ${path} in body must be of type ${type}`);
  }
  if (schema.enum && !schema.enum.some((e) => e === value))
    errors.push(`${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.join(', ')}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path}: Invalid value: ${value}: should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path}: Invalid value: ${value}: should be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${path}: Invalid value: "${value}": should be at least ${schema.minLength} chars long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      errors.push(`${path}: Invalid value: "${value}": should match '${schema.pattern}'`);
    if (schema.format === 'date-time' && !RFC3339.test(value))
      errors.push(`${path}: Invalid value: "${value}": must be an RFC 3339 time`);
    if (schema.format === 'date-time-micro' && !RFC3339_MICRO.test(value))
      errors.push(
        `${path}: Invalid value: "${value}": must be an RFC 3339 time with six fractional digits (MicroTime)`,
      );
  }
  if (Array.isArray(value) && schema.items)
    for (const [i, v] of value.entries()) validate(v, schema.items, `${path}[${i}]`, errors);
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(obj)) {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub) validate(v, sub, `${path}.${key}`, errors);
    }
    for (const key of schema.required ?? []) if (obj[key] === undefined) errors.push(`${path}.${key}: Required value`);
  }
}
