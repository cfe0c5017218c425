import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isKedgeError } from '../../src/core/errors/index.js';
import { capFor, planReads, type PlanItem, type ReadRequest } from './planner.js';

type Range = { offset: number; count: number };

/** Longest run of positions inside [start, end) that no range covers. */
function longestHole(ranges: Range[], start: number, end: number): number {
  const covered = new Set<number>();
  for (const r of ranges) for (let a = r.offset; a < r.offset + r.count; a++) covered.add(a);
  let longest = 0;
  let run = 0;
  for (let a = start; a < end; a++) {
    run = covered.has(a) ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

function feasible(block: Range[], cap: number, maxGap: number): boolean {
  const start = Math.min(...block.map((r) => r.offset));
  const end = Math.max(...block.map((r) => r.offset + r.count));
  return end - start <= cap && longestHole(block, start, end) <= maxGap;
}

/** Exhaustive optimum: every set partition of the ranges (fine for <= 7 ranges). */
function bruteForceMin(ranges: Range[], cap: number, maxGap: number): number {
  let best = Infinity;
  const blocks: Range[][] = [];
  const place = (i: number): void => {
    if (blocks.length >= best) return;
    if (i === ranges.length) {
      if (blocks.every((b) => feasible(b, cap, maxGap))) best = blocks.length;
      return;
    }
    const r = ranges[i]!;
    for (const block of blocks) {
      block.push(r);
      place(i + 1);
      block.pop();
    }
    blocks.push([r]);
    place(i + 1);
    blocks.pop();
  };
  place(0);
  return best;
}

function checkPlan(
  items: Array<PlanItem<number>>,
  plan: Array<ReadRequest<number>>,
  cap: number,
  maxGap: number,
): void {
  const seen = new Map<number, number>();
  for (const req of plan) {
    expect(req.count).toBeLessThanOrEqual(cap);
    const served = req.serves.map((s) => {
      const item = items[s.key]!;
      // the request says where the property sits in the response
      expect(req.offset + s.index).toBe(item.offset);
      expect(s.count).toBe(item.count);
      expect(s.index + s.count).toBeLessThanOrEqual(req.count);
      seen.set(s.key, (seen.get(s.key) ?? 0) + 1);
      return { offset: item.offset, count: item.count };
    });
    expect(longestHole(served, req.offset, req.offset + req.count)).toBeLessThanOrEqual(maxGap);
    expect(Math.min(...served.map((r) => r.offset))).toBe(req.offset);
  }
  // every property exactly once
  expect([...seen.keys()].sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
}

const layout = fc
  .record({ cap: fc.integer({ min: 1, max: 12 }), maxGap: fc.integer({ min: 0, max: 4 }) })
  .chain(({ cap, maxGap }) =>
    fc.record({
      cap: fc.constant(cap),
      maxGap: fc.constant(maxGap),
      ranges: fc.array(
        fc.record({ offset: fc.integer({ min: 0, max: 30 }), count: fc.integer({ min: 1, max: cap }) }),
        {
          minLength: 1,
          maxLength: 7,
        },
      ),
    }),
  );

describe('planReads', () => {
  it('matches the exhaustive optimum on random small layouts and every plan is valid', () => {
    fc.assert(
      fc.property(layout, ({ cap, maxGap, ranges }) => {
        const items = ranges.map((r, key) => ({ key, table: 'HoldingRegister' as const, ...r }));
        const plan = planReads(items, { maxGap, maxRegistersPerRead: cap });
        checkPlan(items, plan, cap, maxGap);
        expect(plan.length).toBeLessThanOrEqual(bruteForceMin(ranges, cap, maxGap));
      }),
      { numRuns: 1500 },
    );
  });

  it('merges adjacent and overlapping ranges and bridges small gaps', () => {
    const plan = planReads(
      [
        { key: 'a', table: 'HoldingRegister', offset: 0, count: 2 },
        { key: 'b', table: 'HoldingRegister', offset: 2, count: 2 },
        { key: 'c', table: 'HoldingRegister', offset: 3, count: 4 },
        { key: 'd', table: 'HoldingRegister', offset: 10, count: 1 }, // gap of 3
        { key: 'e', table: 'HoldingRegister', offset: 30, count: 1 }, // gap of 19
      ],
      { maxGap: 8 },
    );
    expect(plan.map((r) => [r.offset, r.count, r.serves.map((s) => s.key).join('')])).toEqual([
      [0, 11, 'abcd'],
      [30, 1, 'e'],
    ]);
    expect(plan[0]!.serves.find((s) => s.key === 'd')!.index).toBe(10);
  });

  it('never reads more than 125 registers, even with a larger option', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      key: i,
      table: 'InputRegister' as const,
      offset: i * 2,
      count: 2,
    }));
    const plan = planReads(items, { maxRegistersPerRead: 500 });
    expect(plan.map((r) => r.count)).toEqual([124, 76]);
  });

  it('coils use the 2000-bit cap; tables are planned separately', () => {
    const plan = planReads(
      [
        { key: 'c0', table: 'CoilRegister', offset: 0, count: 1 },
        { key: 'c1', table: 'CoilRegister', offset: 1999, count: 1 },
        { key: 'c2', table: 'CoilRegister', offset: 2000, count: 1 },
        { key: 'h0', table: 'HoldingRegister', offset: 0, count: 1 },
      ],
      { maxGap: 5000 },
    );
    expect(plan.map((r) => [r.table, r.offset, r.count])).toEqual([
      ['CoilRegister', 0, 2000],
      ['CoilRegister', 2000, 1],
      ['HoldingRegister', 0, 1],
    ]);
    expect(capFor('DiscreteInputRegister', { maxBitsPerRead: 9999 })).toBe(2000);
  });

  it('a single property longer than the cap is a KedgeError naming it', () => {
    let err: unknown;
    try {
      planReads([{ key: 'serial', table: 'HoldingRegister', offset: 5, count: 20 }], { maxRegistersPerRead: 16 });
    } catch (e) {
      err = e;
    }
    expect(isKedgeError(err) && err.code).toBe('KEDGE_MODBUS_READ_TOO_LARGE');
    expect((err as Error).message).toContain('property serial (HoldingRegister 5)');
  });

  it('maxGap 0 merges only touching or overlapping ranges', () => {
    const plan = planReads(
      [
        { key: 'a', table: 'HoldingRegister', offset: 0, count: 1 },
        { key: 'b', table: 'HoldingRegister', offset: 1, count: 1 },
        { key: 'c', table: 'HoldingRegister', offset: 3, count: 1 },
      ],
      { maxGap: 0 },
    );
    expect(plan.length).toBe(2);
  });
});
