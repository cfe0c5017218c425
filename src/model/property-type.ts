import { modelErrors } from './errors.js';

export const PROPERTY_TYPES = ['INT', 'FLOAT', 'DOUBLE', 'STRING', 'BOOLEAN', 'BYTES', 'STREAM'] as const;
/** A DeviceModel property type, always upper case once validated (input may use any case). */
export type PropertyType = (typeof PROPERTY_TYPES)[number];
export const ACCESS_MODES = ['ReadWrite', 'ReadOnly'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];
/** A property value as the mappers, the twin and the pipeline carry it. */
export type PropertyValue = number | boolean | string;

/** `float` -> `FLOAT`; undefined for anything that is not a property type in any case. */
export function normalizePropertyType(text: string): PropertyType | undefined {
  const upper = text.toUpperCase();
  return PROPERTY_TYPES.find((t) => t === upper);
}

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Go's strconv.ParseBool, which KubeEdge mappers use for desired values.
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Parses a twin/desired value (always a string in KubeEdge) into the property's type.
 * Throws KEDGE_MODEL_BAD_VALUE naming the type and the expected form.
 */
export function parsePropertyValue(type: PropertyType, text: string): PropertyValue {
  const trimmed = text.trim();
  switch (type) {
    case 'INT': {
      const n = Number(trimmed);
      if (!INT.test(trimmed) || !Number.isSafeInteger(n)) throw bad(type, text, 'a whole number such as 42 or -7');
      return n;
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const n = Number(trimmed);
      if (!DECIMAL.test(trimmed) || !Number.isFinite(n))
        throw bad(type, text, 'a finite decimal number such as 21.5 or 1e-3');
      return n;
    }
    case 'BOOLEAN':
      if (TRUE.has(trimmed)) return true;
      if (FALSE.has(trimmed)) return false;
      throw bad(type, text, 'true or false (also 1/0, t/f)');
    case 'STRING':
    case 'BYTES':
    case 'STREAM':
      return text;
  }
}

function bad(type: PropertyType, text: string, expected: string) {
  return modelErrors.create(
    'KEDGE_MODEL_BAD_VALUE',
    `${JSON.stringify(text)} is not a valid ${type} value: expected ${expected}`,
    {
      detail: { type, value: text },
    },
  );
}

/**
 * Whether two twin values (strings, as KubeEdge carries them) say the same, without knowing the
 * property's type: the same text, the same boolean in any of its spellings (`1` and `true`), or
 * numbers within a relative 1e-6 (a desired 21.5 written as int16 x 0.1 reads back as
 * 21.500000000000004). The cloud compares desired and reported values with it.
 */
export function twinValuesMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const x = a.trim();
  const y = b.trim();
  if ((TRUE.has(x) && TRUE.has(y)) || (FALSE.has(x) && FALSE.has(y))) return true;
  if (!DECIMAL.test(x) || !DECIMAL.test(y)) return false;
  const m = Number(x);
  const n = Number(y);
  return Number.isFinite(m) && Number.isFinite(n) && Math.abs(m - n) <= 1e-6 * Math.max(1, Math.abs(m));
}
