import { createHash } from 'node:crypto';

/**
 * A stable hash of a device instance: the same content hashes the same whatever the key order in
 * the JSON it arrived in, so a re-delivered or re-ordered device set does not restart a device.
 */
export function instanceHash(value: unknown): string {
  return createHash('sha1').update(canonicalJson(value)).digest('hex');
}

/** JSON with object keys sorted at every level; undefined members are dropped like JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
