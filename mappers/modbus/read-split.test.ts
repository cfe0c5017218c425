import { describe, expect, it } from 'vitest';
import { modbusErrors } from './errors.js';
import { planReads, type PlanItem } from './planner.js';
import { isIllegalAddress, splitRequest } from './read-split.js';

const hr = (key: string, offset: number, count: number): PlanItem => ({ key, table: 'HoldingRegister', offset, count });
const shape = (requests: ReturnType<typeof planReads>) =>
  requests.map((r) => ({ offset: r.offset, count: r.count, serves: r.serves.map((s) => `${s.key}@${s.index}`) }));

describe('splitRequest (after exception 2 on a merged read)', () => {
  it('splits a request that bridges gaps into its gap-free pieces, adjacent properties still merged', () => {
    const [merged] = planReads([hr('a', 0, 2), hr('b', 2, 1), hr('c', 6, 2), hr('d', 10, 1)], { maxGap: 8 });
    expect(merged!.count).toBe(11);
    expect(shape(splitRequest(merged!)!)).toEqual([
      { offset: 0, count: 3, serves: ['a@0', 'b@2'] },
      { offset: 6, count: 2, serves: ['c@0'] },
      { offset: 10, count: 1, serves: ['d@0'] },
    ]);
  });

  it('splits a gap-free request of several properties into one request per property', () => {
    const [run] = planReads([hr('a', 0, 2), hr('b', 2, 1)]);
    expect(shape(splitRequest(run!)!)).toEqual([
      { offset: 0, count: 2, serves: ['a@0'] },
      { offset: 2, count: 1, serves: ['b@0'] },
    ]);
  });

  it('keeps properties on the same range (bits of one register) in one piece', () => {
    const [run] = planReads([hr('bit0', 5, 1), hr('bit1', 5, 1), hr('word', 6, 1)]);
    expect(shape(splitRequest(run!)!)).toEqual([
      { offset: 5, count: 1, serves: ['bit0@0', 'bit1@0'] },
      { offset: 6, count: 1, serves: ['word@0'] },
    ]);
  });

  it('cannot split a request for one range', () => {
    const [single] = planReads([hr('a', 3, 2)]);
    expect(splitRequest(single!)).toBeUndefined();
    const [shared] = planReads([hr('bit0', 5, 1), hr('bit1', 5, 1)]);
    expect(splitRequest(shared!)).toBeUndefined();
  });

  it('splits coils by their gaps like registers', () => {
    const coil = (key: string, offset: number): PlanItem => ({ key, table: 'CoilRegister', offset, count: 1 });
    const [merged] = planReads([coil('x', 0), coil('y', 1), coil('z', 5)]);
    expect(shape(splitRequest(merged!)!)).toEqual([
      { offset: 0, count: 2, serves: ['x@0', 'y@1'] },
      { offset: 5, count: 1, serves: ['z@0'] },
    ]);
  });
});

describe('isIllegalAddress', () => {
  it('is true only for a Modbus exception 2', () => {
    const exception = (code: number) =>
      modbusErrors.create('KEDGE_MODBUS_EXCEPTION', 'x', { detail: { exceptionCode: code } });
    expect(isIllegalAddress(exception(2))).toBe(true);
    expect(isIllegalAddress(exception(4))).toBe(false);
    expect(isIllegalAddress(modbusErrors.create('KEDGE_MODBUS_TIMEOUT', 'x', { detail: { exceptionCode: 2 } }))).toBe(
      false,
    );
    expect(isIllegalAddress(new Error('exception 2'))).toBe(false);
  });
});
