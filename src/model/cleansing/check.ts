import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { compiledCheck } from '../../core/schema/index.js';
import { CleansingRulesSchema, type CleansingRules } from './schema.js';

/** One problem in a `cleansing` object; `path` is relative to that object (e.g. `['range', 'min']`). */
export interface CleansingProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Semantic checks a JSON schema cannot express. Expects rules that already passed the schema
 * (use `validateCleansingRules` for unknown input). Returns an empty array when the rules are sound.
 */
export function checkCleansingRules(rules: CleansingRules): CleansingProblem[] {
  const problems: CleansingProblem[] = [];
  const add = (path: (string | number)[], message: string): void => {
    problems.push({ path, message });
  };
  const { range, smoothing, deadband, convert } = rules;
  if (range) {
    if (range.min === undefined && range.max === undefined) {
      add(['range'], 'range needs min, max or both');
    } else if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
      add(['range', 'min'], `range.min (${range.min}) must not be greater than range.max (${range.max})`);
    }
  }
  if (smoothing?.method === 'movingAverage') {
    if (smoothing.window === undefined)
      add(['smoothing', 'window'], 'smoothing method movingAverage needs window (2..1000)');
    if (smoothing.alpha !== undefined) {
      add(['smoothing', 'alpha'], 'alpha belongs to method ema; method movingAverage takes window');
    }
  } else if (smoothing?.method === 'ema') {
    if (smoothing.alpha === undefined) add(['smoothing', 'alpha'], 'smoothing method ema needs alpha in (0, 1]');
    if (smoothing.window !== undefined) {
      add(['smoothing', 'window'], 'window belongs to method movingAverage; method ema takes alpha');
    }
  }
  if (deadband) {
    const given = (deadband.absolute !== undefined ? 1 : 0) + (deadband.percent !== undefined ? 1 : 0);
    if (given !== 1) add(['deadband'], 'deadband needs exactly one of absolute or percent');
  }
  if (convert && convert.scale === 0) {
    add(['convert', 'scale'], 'convert.scale must not be 0 (every value would become the offset)');
  }
  return problems;
}

const compiled = compiledCheck(CleansingRulesSchema);

/** Schema check (with readable messages) followed by `checkCleansingRules`. */
export function validateCleansingRules(value: unknown): CleansingProblem[] {
  if (compiled.Check(value)) return checkCleansingRules(value);
  const problems: CleansingProblem[] = [];
  const seen = new Set<string>();
  for (const error of compiled.Errors(value)) {
    if (seen.has(error.path)) continue; // keep the first (most specific) error per field
    seen.add(error.path);
    problems.push({ path: pointerToPath(error.path), message: describe(error) });
  }
  return problems;
}

function describe(error: ValueError): string {
  const field = error.path === '' ? 'cleansing' : error.path.slice(1).replaceAll('/', '.');
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const allowed = Object.keys(parentSchemaProperties(error.path) ?? {});
      return `unknown field ${field}${allowed.length > 0 ? `; expected one of ${allowed.join(', ')}` : ''}`;
    }
    case ValueErrorType.ObjectRequiredProperty:
      return `${field} is required`;
    case ValueErrorType.Union: {
      const options = literalOptions(error.schema);
      if (options) return `${field} must be one of ${options.join(', ')} (got ${JSON.stringify(error.value)})`;
      return `${field}: ${error.message}`;
    }
    default:
      return `${field}: ${error.message.replace(/^Expected/, 'expected')} (got ${JSON.stringify(error.value)})`;
  }
}

function literalOptions(schema: TSchema): string[] | undefined {
  const branches: unknown = schema['anyOf'];
  if (!Array.isArray(branches)) return undefined;
  const options: string[] = [];
  for (const branch of branches as TSchema[]) {
    if (branch['const'] === undefined) return undefined;
    options.push(String(branch['const']));
  }
  return options;
}

/** Properties of the object that holds the field at `pointer` (for "expected one of" hints). */
function parentSchemaProperties(pointer: string): Record<string, TSchema> | undefined {
  const segments = pointerToPath(pointer).slice(0, -1);
  let schema: TSchema | undefined = CleansingRulesSchema;
  for (const segment of segments) {
    schema = (schema?.['properties'] as Record<string, TSchema> | undefined)?.[String(segment)];
  }
  return schema?.['properties'] as Record<string, TSchema> | undefined;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
