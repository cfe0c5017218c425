import { describe, expect, it } from 'vitest';
import { deriveDecodeSpec, type ModbusVisitorInput } from './decode-spec.js';
import { functionCodeOf, planWrites, type WriteItem, type WriteStep } from './write-plan.js';
import { alone } from './writer.js';

const item = (key: string, visitor: ModbusVisitorInput, value: WriteItem<string>['value']): WriteItem<string> => ({
  key,
  spec: deriveDecodeSpec(visitor, { label: key, propertyType: typeof value === 'boolean' ? 'BOOLEAN' : 'INT' }),
  value,
});
const coil = (key: string, offset: number, value: boolean) => item(key, { register: 'CoilRegister', offset }, value);
const u16 = (key: string, offset: number, value: number) =>
  item(key, { register: 'HoldingRegister', offset, rawType: 'uint16' }, value);

const shape = (steps: Array<WriteStep<string>>) =>
  steps.map((s) =>
    s.kind === 'bit'
      ? { fc: functionCodeOf(s), bit: s.item.key }
      : {
          fc: functionCodeOf(s),
          offset: s.offset,
          values: s.values,
          serves: s.serves.map((v) => `${v.key}@${v.index}`),
        },
  );

describe('planWrites', () => {
  it('merges adjacent coils into one FC15 in address order, whatever order the delta had', () => {
    const { steps, failed } = planWrites([coil('c12', 12, true), coil('c10', 10, true), coil('c11', 11, false)]);
    expect(failed.size).toBe(0);
    expect(shape(steps)).toEqual([
      { fc: 15, offset: 10, values: [true, false, true], serves: ['c10@0', 'c11@1', 'c12@2'] },
    ]);
  });

  it('keeps a lone coil FC5 and never bridges a gap (a write must not touch coils nobody asked for)', () => {
    const { steps } = planWrites([coil('a', 0, true), coil('b', 1, true), coil('far', 3, false)]);
    expect(shape(steps)).toEqual([
      { fc: 15, offset: 0, values: [true, true], serves: ['a@0', 'b@1'] },
      { fc: 5, offset: 3, values: [false], serves: ['far@0'] },
    ]);
  });

  it('does not merge two values for the same coil', () => {
    const { steps } = planWrites([coil('x', 4, true), coil('y', 4, false)]);
    expect(steps.map((s) => functionCodeOf(s))).toEqual([5, 5]);
  });

  it('merges holding-register properties that follow each other into one FC16, encoded as each would be alone', () => {
    const f32 = item('sp', { register: 'HoldingRegister', offset: 100, rawType: 'float32', byteOrder: 'CDAB' }, 22.75);
    const { steps } = planWrites([u16('mode', 102, 3), f32, u16('lone', 110, 7)]);
    // 22.75 = 0x41B60000; CDAB puts the low word first
    expect(shape(steps)).toEqual([
      { fc: 16, offset: 100, values: [0x0000, 0x41b6, 3], serves: ['sp@0', 'mode@2'] },
      { fc: 6, offset: 110, values: [7], serves: ['lone@0'] },
    ]);
  });

  it('leaves a bit inside a register alone (read-modify-write) and coils apart from registers', () => {
    const flag = item('flag', { register: 'HoldingRegister', offset: 50, rawType: 'bit', bit: 3 }, true);
    const { steps } = planWrites([flag, u16('r', 51, 1), coil('c', 51, true)]);
    expect(shape(steps)).toEqual([
      { fc: 6, bit: 'flag' },
      { fc: 5, offset: 51, values: [true], serves: ['c@0'] },
      { fc: 6, offset: 51, values: [1], serves: ['r@0'] },
    ]);
  });

  it('fails a value that cannot be encoded on its own; its neighbours still merge', () => {
    const { steps, failed } = planWrites([u16('a', 0, 1), u16('bad', 1, 70000), u16('c', 2, 3), u16('d', 3, 4)]);
    expect([...failed.keys()]).toEqual(['bad']);
    expect((failed.get('bad') as { code?: string }).code).toBe('KEDGE_MODBUS_VALUE_OUT_OF_RANGE');
    expect(shape(steps)).toEqual([
      { fc: 6, offset: 0, values: [1], serves: ['a@0'] },
      { fc: 16, offset: 2, values: [3, 4], serves: ['c@0', 'd@1'] },
    ]);
  });

  it('caps a run at 1968 coils per FC15', () => {
    const many = Array.from({ length: 1970 }, (_, i) => coil(`c${i}`, i, i % 2 === 0));
    const { steps } = planWrites(many);
    expect(steps.map((s) => (s.kind === 'coils' ? s.values.length : 0))).toEqual([1968, 2]);
  });
});

describe('alone (a merged write refused with exception 2, retried per property)', () => {
  it('gives each property its own request with its own encoded values', () => {
    const f32 = item('sp', { register: 'HoldingRegister', offset: 100, rawType: 'float32' }, 1);
    const [merged] = planWrites([f32, u16('mode', 102, 3)]).steps;
    expect(merged!.kind).toBe('registers');
    expect(shape(alone(merged as Exclude<WriteStep<string>, { kind: 'bit' }>))).toEqual([
      { fc: 16, offset: 100, values: [0x3f80, 0], serves: ['sp@0'] },
      { fc: 6, offset: 102, values: [3], serves: ['mode@0'] },
    ]);
  });
});
