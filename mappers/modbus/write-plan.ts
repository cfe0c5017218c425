/**
 * Write planning: the values of one device that arrived together (one twin delta) become the
 * fewest write requests. Coils at adjacent addresses become one FC15 (Write Multiple Coils),
 * holding-register properties that follow each other without a gap one FC16 (Write Multiple
 * Registers); what stands alone stays FC5 / FC6 / FC16 as a single write would send it. A bit inside
 * a register is a read-modify-write and is never merged. Each value is encoded on its own first, so
 * a value that cannot be encoded fails alone and does not hold back its neighbours. Pure (no I/O).
 */
import { encodeCoil, encodeRegisters, type ModbusValue } from './codec.js';
import type { DecodeSpec } from './decode-spec.js';

/** Per request, from the Modbus spec v1.1b3 (6.11, 6.12). */
export const MAX_COILS_PER_WRITE = 1968;
export const MAX_REGISTERS_PER_WRITE = 123;

export interface WriteItem<K> {
  key: K;
  spec: DecodeSpec;
  value: ModbusValue | bigint;
}

/** Where a merged property sits: its first bit/register within the request. */
export interface WriteServe<K> {
  key: K;
  spec: DecodeSpec;
  index: number;
}

export type WriteStep<K> =
  | { kind: 'coils'; offset: number; values: boolean[]; serves: Array<WriteServe<K>> }
  | { kind: 'registers'; offset: number; values: number[]; serves: Array<WriteServe<K>> }
  | { kind: 'bit'; item: WriteItem<K> };

export interface WritePlan<K> {
  steps: Array<WriteStep<K>>;
  /** Values that could not be encoded, by key: reported as failed, never sent. */
  failed: Map<K, unknown>;
}

export function planWrites<K>(items: ReadonlyArray<WriteItem<K>>): WritePlan<K> {
  const failed = new Map<K, unknown>();
  const coils: Array<{ item: WriteItem<K>; values: boolean[] }> = [];
  const registers: Array<{ item: WriteItem<K>; values: number[] }> = [];
  const steps: Array<WriteStep<K>> = [];
  for (const item of items) {
    if (item.spec.table === 'HoldingRegister' && item.spec.rawType === 'bit') {
      steps.push({ kind: 'bit', item });
      continue;
    }
    try {
      if (item.spec.table === 'CoilRegister') coils.push({ item, values: [encodeCoil(item.value)] });
      else registers.push({ item, values: encodeRegisters(item.value, item.spec) });
    } catch (err) {
      failed.set(item.key, err);
    }
  }
  for (const run of runs(coils, MAX_COILS_PER_WRITE)) steps.push({ kind: 'coils', ...run } as WriteStep<K>);
  for (const run of runs(registers, MAX_REGISTERS_PER_WRITE)) steps.push({ kind: 'registers', ...run } as WriteStep<K>);
  return { steps, failed };
}

/**
 * Sorted by address, a value joins the run before it when it starts exactly where that run ends
 * (no gap: a merged write must not touch registers nobody asked to change) and the run stays
 * within the request's cap. Two values for the same address never merge.
 */
function runs<K, V>(encoded: Array<{ item: WriteItem<K>; values: V[] }>, cap: number) {
  const sorted = [...encoded].sort((a, b) => a.item.spec.offset - b.item.spec.offset);
  const out: Array<{ offset: number; values: V[]; serves: Array<WriteServe<K>> }> = [];
  let current: (typeof out)[number] | undefined;
  for (const { item, values } of sorted) {
    const joins =
      current &&
      item.spec.offset === current.offset + current.values.length &&
      current.values.length + values.length <= cap;
    if (!current || !joins) {
      current = { offset: item.spec.offset, values: [], serves: [] };
      out.push(current);
    }
    current.serves.push({ key: item.key, spec: item.spec, index: current.values.length });
    current.values.push(...values);
  }
  return out;
}

/** The function code a step is sent with (for logs and tests). */
export function functionCodeOf<K>(step: WriteStep<K>): number {
  if (step.kind === 'coils') return step.values.length === 1 ? 5 : 15;
  if (step.kind === 'registers') return step.values.length === 1 ? 6 : 16;
  return 6;
}
