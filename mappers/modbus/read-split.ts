/**
 * What to read instead of a merged request the device refused with exception 2 (Illegal Data
 * Address). A device answers that for the whole request when any register in it is not
 * implemented, which is what a read bridging a gap (maxGap) may touch; the properties themselves
 * are usually fine. Two steps, each remembered by the poller once taken:
 *  1. a request that bridges gaps -> its gap-free pieces (the holes were the likely culprit, and
 *     adjacent properties stay merged);
 *  2. a gap-free request serving several ranges -> one request per distinct range (some devices
 *     refuse reads that cross an internal block boundary).
 * A request serving one range cannot be split: its properties are reported bad with the exception.
 */
import type { KedgeError } from '../../src/core/errors/index.js';
import { isKedgeError } from '../../src/core/errors/index.js';
import { planReads, type ReadRequest } from './planner.js';

export const ILLEGAL_DATA_ADDRESS = 2;

/** True for a KEDGE_MODBUS_EXCEPTION carrying exception 2. */
export function isIllegalAddress(err: unknown): err is KedgeError {
  return (
    isKedgeError(err) && err.code === 'KEDGE_MODBUS_EXCEPTION' && err.detail?.exceptionCode === ILLEGAL_DATA_ADDRESS
  );
}

/** The pieces to read instead of `request`, or undefined when it cannot be split further. */
export function splitRequest<K>(request: ReadRequest<K>): Array<ReadRequest<K>> | undefined {
  const items = request.serves.map((s) => ({
    key: s.key,
    table: request.table,
    offset: request.offset + s.index,
    count: s.count,
  }));
  const gapFree = planReads(items, { maxGap: 0 });
  if (gapFree.length > 1) return gapFree;
  const ranges = new Map<string, Array<ReadRequest<K>['serves'][number]>>();
  for (const s of request.serves) {
    const range = `${s.index}:${s.count}`;
    ranges.set(range, [...(ranges.get(range) ?? []), s]);
  }
  if (ranges.size < 2) return undefined;
  return [...ranges.values()].map((serves) => ({
    table: request.table,
    offset: request.offset + serves[0]!.index,
    count: serves[0]!.count,
    serves: serves.map((s) => ({ key: s.key, index: 0, count: s.count })),
  }));
}
