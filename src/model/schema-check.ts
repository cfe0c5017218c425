import { Kind, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/errors';
import { compiledCheck as compile } from '../core/schema/index.js';
import { closest, describeSchema, formatPath, showValue } from './describe-schema.js';
import { unknownFieldPolicy } from './schema-kinds.js';

export type Path = (string | number)[];

/** One problem found by a schema, relative to the checked value. */
export interface SchemaProblem {
  path: Path;
  message: string;
  severity: 'error' | 'warning';
  /** Point at the field's key (unknown fields) rather than its value. */
  at: 'key' | 'value';
}

/**
 * Checks `value` against `schema`: every TypeBox error as a message naming the field and what it
 * expects, then unknown fields of KubeEdge-defined objects as warnings. `prefix` is prepended to
 * every path (messages show the full path from the document root).
 */
export function checkSchema(
  schema: TSchema,
  value: unknown,
  prefix: Path = [],
): { valid: boolean; problems: SchemaProblem[] } {
  const check = compile(schema);
  const problems: SchemaProblem[] = [];
  const valid = check.Check(value);
  if (!valid) translateAll(check.Errors(value), value, prefix, problems, new Set());
  findUnknownFields(schema, value, [], prefix, problems);
  return { valid, problems };
}

function translateAll(
  errors: ValueErrorIterator | Iterable<ValueError>,
  root: unknown,
  prefix: Path,
  out: SchemaProblem[],
  seen: Set<string>,
): void {
  for (const error of errors) {
    const path = pointerToPath(error.path, root);
    const key = JSON.stringify(path);
    // One message per field, and none below a field that already has one.
    if (seen.has(key) || [...seen].some((s) => key.startsWith(`${s.slice(0, -1)},`))) continue;
    if (error.type === ValueErrorType.Union) {
      const variant = discriminatedVariant(error);
      if (variant) {
        translateAll(variant, root, prefix, out, seen);
        continue;
      }
    }
    seen.add(key);
    out.push(translate(error, [...prefix, ...path]));
  }
}

function translate(error: ValueError, path: Path): SchemaProblem {
  const where = formatPath(path);
  const leaf = path[path.length - 1];
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((error.schema['properties'] as Record<string, unknown>) ?? {});
      const guess = closest(String(leaf), known);
      return {
        path,
        at: 'key',
        severity: 'error',
        message: `${where}: unknown field ${String(leaf)}${guess ? ` (did you mean ${guess}?)` : ''}; expected one of ${known.join(', ')}`,
      };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return {
        path,
        at: 'value',
        severity: 'error',
        message: `${where}: required field is missing (expected ${describeSchema(error.schema)})`,
      };
    default: {
      const quoteHint =
        error.schema[Kind] === 'String' && (typeof error.value === 'number' || typeof error.value === 'boolean')
          ? ` (quote it: "${String(error.value)}")`
          : '';
      return {
        path,
        at: 'value',
        severity: 'error',
        message: `${where}: expected ${describeSchema(error.schema)}, got ${showValue(error.value)}${quoteHint}`,
      };
    }
  }
}

/** For a union of objects told apart by a literal field (serial framing `type`), the errors of the variant the value names. */
function discriminatedVariant(error: ValueError): ValueErrorIterator | undefined {
  const value = error.value;
  if (!isPlainObject(value)) return undefined;
  const variants = (error.schema['anyOf'] as TSchema[] | undefined) ?? [];
  const index = variants.findIndex((v) => {
    const props = v['properties'] as Record<string, TSchema> | undefined;
    return (
      props !== undefined && Object.entries(props).some(([k, p]) => p[Kind] === 'Literal' && value[k] === p['const'])
    );
  });
  return index >= 0 ? error.errors[index] : undefined;
}

function findUnknownFields(schema: TSchema, value: unknown, path: Path, prefix: Path, out: SchemaProblem[]): void {
  switch (schema[Kind]) {
    case 'Object': {
      if (!isPlainObject(value)) return;
      const policy = unknownFieldPolicy(schema) ?? 'warn';
      if (policy === 'allow') return;
      const properties = (schema['properties'] as Record<string, TSchema>) ?? {};
      const known = Object.keys(properties);
      for (const [key, child] of Object.entries(value)) {
        const childSchema = properties[key];
        if (childSchema) findUnknownFields(childSchema, child, [...path, key], prefix, out);
        else if (policy === 'warn') out.push(unknownFieldWarning([...prefix, ...path, key], known));
      }
      return;
    }
    case 'Array':
      if (Array.isArray(value))
        for (const [i, item] of value.entries())
          findUnknownFields(schema['items'] as TSchema, item, [...path, i], prefix, out);
      return;
    case 'Union': {
      const variants = (schema['anyOf'] as TSchema[]) ?? [];
      const objects = variants.filter((v) => v[Kind] === 'Object');
      const match = objects.length === 1 ? objects[0] : objects.find((v) => compile(v).Check(value));
      if (match) findUnknownFields(match, value, path, prefix, out);
      return;
    }
    default:
      return;
  }
}

function unknownFieldWarning(path: Path, known: string[]): SchemaProblem {
  const leaf = String(path[path.length - 1]);
  const parent = formatPath(path.slice(0, -1));
  const guess = closest(leaf, known);
  return {
    path,
    at: 'key',
    severity: 'warning',
    message:
      `${formatPath(path)}: unknown field ${leaf} in ${parent}, ignored` +
      (guess ? ` (did you mean ${guess}?)` : `; known fields: ${known.join(', ')}`),
  };
}

/** `/spec/properties/0/name` -> `['spec', 'properties', 0, 'name']` (numbers only for list indexes). */
export function pointerToPath(pointer: string, root: unknown): Path {
  if (pointer === '') return [];
  const path: Path = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const step: string | number = Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment;
    path.push(step);
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[step] : undefined;
  }
  return path;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}
