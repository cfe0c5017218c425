import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';

/** What a check at a boundary yields: the typed value, or the first problem in words. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * The compiled check of `schema`, compiled once per schema object (TypeBox compiles to a
 * function: tens of microseconds to build, nanoseconds per check), shared by every caller.
 */
export function compiledCheck<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = cache.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    cache.set(schema, check);
  }
  return check as TypeCheck<S>;
}

/** `field /a/0/b: <message>` for the first thing `value` gets wrong, or undefined when it matches. */
export function firstProblem(schema: TSchema, value: unknown): string | undefined {
  const check = compiledCheck(schema);
  if (check.Check(value)) return undefined;
  const first = deepest(check.Errors(value).First());
  return first ? `field ${first.path || '/'}: ${first.message}` : 'does not match the schema';
}

/**
 * A union's own error ("Expected union value") says nothing about what is wrong: the error of
 * the variant that matched farthest (the deepest path) does, e.g. a twin that may be an object
 * or null, sent as an object with a bad `actual`.
 */
function deepest(error: ValueError | undefined): ValueError | undefined {
  if (!error?.errors?.length) return error;
  let best: ValueError | undefined;
  for (const variant of error.errors) {
    const e = deepest(variant.First());
    if (e && e.path.length > (best?.path.length ?? error.path.length)) best = e;
  }
  return best ?? error;
}

/**
 * A checker for values that cross a boundary: never throws; on failure the reason names the first
 * bad field (prefixed with `label` when given, e.g. `content`).
 */
export function checker<S extends TSchema>(schema: S, label?: string): (value: unknown) => Checked<Static<S>> {
  const check = compiledCheck(schema);
  const prefix = label ? `${label} ` : '';
  return (value) => {
    if (check.Check(value)) return { ok: true, value };
    return { ok: false, reason: `${prefix}${firstProblem(schema, value)}` };
  };
}

/** The same for JSON text (an MQTT payload, a request body): malformed JSON is a reason too. */
export function jsonChecker<S extends TSchema>(schema: S): (raw: Buffer | string) => Checked<Static<S>> {
  const check = checker(schema);
  return (raw) => {
    let value: unknown;
    try {
      value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    } catch (err) {
      return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
    }
    return check(value);
  };
}
