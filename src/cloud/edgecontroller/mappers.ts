import type { MapperSetContent } from '../../contracts/index.js';
import { canonicalJson } from '../../core/json/index.js';
import type { StoredObject } from '../store/index.js';

/** The mapper workloads a node should run: one per protocol of its devices, sorted (stable content, stable token). */
export function mapperSetFor(devices: Iterable<StoredObject>): MapperSetContent {
  const protocols = new Set<string>();
  for (const d of devices) {
    const p = (d.spec as { protocol?: { protocolName?: unknown } } | undefined)?.protocol?.protocolName;
    if (typeof p === 'string' && p !== '') protocols.add(p.toLowerCase());
  }
  return { mappers: [...protocols].sort().map((p) => ({ name: `mapper-${p}`, protocols: [p] })) };
}

/** Content-based sync token: the edge needs the set again only when it changed. */
export function mapperSetToken(set: MapperSetContent): string {
  return canonicalJson(set);
}
