import { canonicalJson } from '../../src/core/json/index.js';

/**
 * A stable hash of a device instance: the same content hashes the same whatever the key order in
 * the JSON it arrived in, so a re-delivered or re-ordered device set does not restart a device.
 */
export function instanceHash(value: unknown): string {
  return hash64(canonicalJson(value));
}

/**
 * A 64-bit non-cryptographic hash (two multiplicative 32-bit lanes, cross-mixed at the end). It only
 * tells "this device changed"; node:crypto's SHA-1 would load OpenSSL into every mapper (about
 * 2 MB of RSS, bench/RESULTS.md "Modbus") for that.
 */
export function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}
