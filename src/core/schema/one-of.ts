import { Type, type SchemaOptions, type TLiteral, type TUnion } from '@sinclair/typebox';

/**
 * A union of string literals from a `const` list, keeping the literal types (mapping a list to
 * `Type.Literal` by hand yields `string`, and the type then gets written again beside the schema).
 */
export function oneOf<const T extends readonly string[]>(
  values: T,
  options?: SchemaOptions | string,
): TUnion<TLiteral<T[number]>[]> {
  const opts = typeof options === 'string' ? { description: options } : options;
  return Type.Union(values.map((v) => Type.Literal(v)) as never, opts) as never;
}
