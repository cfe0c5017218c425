/**
 * Read planner: the fewest Modbus read requests that cover all properties of one device polled in
 * the same cycle.
 *
 * Per register table, properties are intervals [offset, offset + count). A request reads one
 * contiguous range; it may serve several properties (each property whole, never split: a 32-bit
 * value read in two requests could tear). A request is valid when its length is within the cap
 * (125 registers / 2000 bits, or less by option) and no run of unrequested registers inside it is
 * longer than maxGap.
 *
 * Algorithm: sort by (offset, end) and sweep, extending the current request while the next
 * property keeps the hole before it <= maxGap and the request length <= cap; otherwise start a new
 * request at that property. Why this is optimal:
 *  - Hole break: if the next property p starts more than maxGap after the furthest end E seen so
 *    far, nothing that starts before p reaches past E, so [E, start(p)) is uncovered in ANY request
 *    holding an earlier and a later property. The problem splits into two independent halves there,
 *    and the current group is one request, which is optimal for its half.
 *  - Cap break: the first property f of the group must share a request with whatever it is grouped
 *    with; every property ending beyond start(f) + cap can never join f. The greedy group holds all
 *    properties that start before p (they all fit), so any solution needs one request for f plus
 *    requests for the rest; the rest start at >= start(p), and a later group "stays ahead": its
 *    start is the earliest start not yet covered, which is the best possible anchor for a window.
 * (A proof sketch, not a formal proof; planner.test.ts checks the claim against an exhaustive search
 * over all partitions of random small layouts, and 40,000 runs found no counterexample.)
 */
import { modbusErrors } from './errors.js';
import { isBitTable, type RegisterTable } from './decode-spec.js';

export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface PlanItem<K = string> {
  key: K;
  table: RegisterTable;
  offset: number;
  /** Registers (holding/input) or bits (coils/discrete inputs). */
  count: number;
}

export interface PlanOptions {
  /** Unrequested registers that may be read to merge two ranges (default 8). */
  maxGap?: number;
  /** Cap for holding/input reads, at most 125 (default 125). */
  maxRegistersPerRead?: number;
  /** Cap for coil/discrete-input reads, at most 2000 (default 2000). */
  maxBitsPerRead?: number;
}

export interface Served<K> {
  key: K;
  /** Position of the property's first register/bit within the response. */
  index: number;
  count: number;
}

export interface ReadRequest<K = string> {
  table: RegisterTable;
  offset: number;
  count: number;
  serves: Array<Served<K>>;
}

export function capFor(table: RegisterTable, options: PlanOptions = {}): number {
  if (isBitTable(table)) return Math.min(options.maxBitsPerRead ?? MAX_BITS_PER_READ, MAX_BITS_PER_READ);
  return Math.min(options.maxRegistersPerRead ?? MAX_REGISTERS_PER_READ, MAX_REGISTERS_PER_READ);
}

export function planReads<K>(items: ReadonlyArray<PlanItem<K>>, options: PlanOptions = {}): Array<ReadRequest<K>> {
  const byTable = new Map<RegisterTable, Array<PlanItem<K>>>();
  for (const item of items) {
    const list = byTable.get(item.table) ?? [];
    list.push(item);
    byTable.set(item.table, list);
  }
  const plan: Array<ReadRequest<K>> = [];
  for (const [table, list] of byTable) plan.push(...planTable(table, list, options));
  return plan;
}

function planTable<K>(table: RegisterTable, items: Array<PlanItem<K>>, options: PlanOptions): Array<ReadRequest<K>> {
  const cap = capFor(table, options);
  const maxGap = Math.max(0, options.maxGap ?? 8);
  for (const item of items) checkItem(item, cap);
  const sorted = [...items].sort((a, b) => a.offset - b.offset || a.count - b.count);
  const groups: Array<Array<PlanItem<K>>> = [];
  let current: Array<PlanItem<K>> = [];
  let start = 0;
  let end = 0;
  for (const item of sorted) {
    const itemEnd = item.offset + item.count;
    const fits = current.length > 0 && item.offset - end <= maxGap && Math.max(end, itemEnd) - start <= cap;
    if (!fits) {
      if (current.length > 0) groups.push(current);
      current = [];
      start = item.offset;
      end = itemEnd;
    }
    current.push(item);
    end = Math.max(end, itemEnd);
  }
  if (current.length > 0) groups.push(current);
  return groups.map((group) => toRequest(table, group));
}

function checkItem<K>(item: PlanItem<K>, cap: number): void {
  if (!Number.isInteger(item.count) || item.count < 1 || !Number.isInteger(item.offset) || item.offset < 0) {
    throw modbusErrors.create(
      'KEDGE_MODBUS_INVALID_VISITOR',
      `property ${String(item.key)} (${item.table} ${item.offset}): offset must be >= 0 and count >= 1, got count ${item.count}`,
    );
  }
  if (item.count > cap || item.offset + item.count > 65536) {
    throw modbusErrors.create(
      'KEDGE_MODBUS_READ_TOO_LARGE',
      `property ${String(item.key)} (${item.table} ${item.offset}) spans ${item.count}, more than one request may read (${cap}) or past address 65535`,
      { detail: { count: item.count, cap } },
    );
  }
}

function toRequest<K>(table: RegisterTable, group: Array<PlanItem<K>>): ReadRequest<K> {
  const offset = Math.min(...group.map((i) => i.offset));
  const end = Math.max(...group.map((i) => i.offset + i.count));
  return {
    table,
    offset,
    count: end - offset,
    serves: group.map((i) => ({ key: i.key, index: i.offset - offset, count: i.count })),
  };
}
