import { parsePropertyValue, type PropertyType, type PropertyValue } from '../../model/index.js';

/**
 * Whether a reported value confirms a desired one. Numbers compare with a relative tolerance of
 * 1e-6: a desired 21.5 written as int16 x 0.1 reads back as 21.500000000000004.
 */
export function confirms(type: PropertyType, desired: string, reported: PropertyValue | null | string): boolean {
  if (reported === null) return false;
  let want: PropertyValue;
  let got: PropertyValue;
  try {
    want = parsePropertyValue(type, desired);
    got = typeof reported === 'string' ? parsePropertyValue(type, reported) : reported;
  } catch {
    return false;
  }
  if (typeof want === 'number' && typeof got === 'number')
    return Math.abs(want - got) <= 1e-6 * Math.max(1, Math.abs(want));
  return want === got;
}
