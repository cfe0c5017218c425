import { Kind, type TSchema } from '@sinclair/typebox';
import { EXPECTED } from './schema-kinds.js';

/** What a schema expects, in words for a message: "an integer from 1 to 125", "one of TCP, RTU". */
export function describeSchema(schema: TSchema): string {
  const expected: unknown = schema[EXPECTED] ?? schema['x-kedge-expected'];
  if (typeof expected === 'string') return expected;
  switch (schema[Kind]) {
    case 'Literal':
      return JSON.stringify(schema['const']);
    case 'Union': {
      const variants = (schema['anyOf'] as TSchema[]) ?? [];
      if (variants.every((v) => v[Kind] === 'Literal'))
        return `one of ${variants.map((v) => String(v['const'])).join(', ')}`;
      return variants.map(describeSchema).join(' or ');
    }
    case 'Integer':
      return `an integer${range(schema)}`;
    case 'Number':
      return `a number${range(schema)}`;
    case 'String':
      if (schema['pattern'] !== undefined) return `a string matching /${String(schema['pattern'])}/`;
      return schema['minLength'] === 1 ? 'a non-empty string' : 'a string';
    case 'Boolean':
      return 'true or false';
    case 'Array':
      return 'a list';
    case 'Object':
    case 'Record':
      return 'a map of fields';
    default:
      return 'a value';
  }
}

function range(schema: TSchema): string {
  const min = schema['minimum'] as number | undefined;
  const max = schema['maximum'] as number | undefined;
  const xmin = schema['exclusiveMinimum'] as number | undefined;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (xmin !== undefined) return ` greater than ${xmin}${max !== undefined ? ` and at most ${max}` : ''}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** A value as a message shows it: strings quoted, maps and lists named, long text cut. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return value instanceof Uint8Array ? 'binary data' : 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `['spec', 'properties', 0, 'name']` -> `spec.properties[0].name`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(document)' : out;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
