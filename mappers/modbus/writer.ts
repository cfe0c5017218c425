/**
 * Runs a write plan (write-plan.ts) on one device: per step one queued write, then one read-back
 * of exactly the range it wrote, decoded per property. Every property gets its own result, as if it
 * had been written alone: a failed request fails the properties it carried, each with the error
 * (the Modbus exception named). A merged write refused with exception 2 (Illegal Data Address) is
 * retried one property at a time, since one unimplemented address refuses the whole request.
 * Steps run one after another, never racing: bits inside registers first (in the delta's order),
 * then coil runs, then register runs, each by address (a twin delta's keys carry no order).
 */
import type { DriverReading } from '../sdk/contract.js';
import { encodeRegisters } from './codec.js';
import type { DevicePoller } from './poller.js';
import type { PropertyPlan } from './poller-plan.js';
import { isIllegalAddress } from './read-split.js';
import { planWrites, type WriteItem, type WriteStep } from './write-plan.js';

export interface PlannedWrite {
  key: number;
  plan: PropertyPlan;
  value: WriteItem<number>['value'];
}

export type WriteOutcome = PromiseSettledResult<DriverReading>;
type Results = Map<number, WriteOutcome>;
type MergedStep<K> = Exclude<WriteStep<K>, { kind: 'bit' }>;

export async function writeAll(
  poller: DevicePoller,
  writes: readonly PlannedWrite[],
  now: () => number,
): Promise<Results> {
  const plans = new Map(writes.map((w) => [w.key, w.plan]));
  const { steps, failed } = planWrites(writes.map((w) => ({ key: w.key, spec: w.plan.spec, value: w.value })));
  const results: Results = new Map();
  for (const [key, reason] of failed) results.set(key, { status: 'rejected', reason });
  for (const step of steps) await runStep(poller, step, (key) => plans.get(key)!, results, now);
  return results;
}

async function runStep(
  poller: DevicePoller,
  step: WriteStep<number>,
  planOf: (key: number) => PropertyPlan,
  results: Results,
  now: () => number,
): Promise<void> {
  const keys = step.kind === 'bit' ? [step.item.key] : step.serves.map((s) => s.key);
  const fail = (reason: unknown) => {
    for (const k of keys) results.set(k, { status: 'rejected', reason });
  };
  try {
    await send(poller, step);
  } catch (err) {
    if (step.kind !== 'bit' && step.serves.length > 1 && isIllegalAddress(err)) {
      for (const single of alone(step)) await runStep(poller, single, planOf, results, now);
    } else fail(err);
    return;
  }
  const ts = now();
  try {
    if (step.kind === 'bit') {
      const values = await poller.read(step.item.spec);
      results.set(step.item.key, { status: 'fulfilled', value: poller.decode(planOf(step.item.key), values, 0, ts) });
      return;
    }
    const table = step.kind === 'coils' ? 'CoilRegister' : 'HoldingRegister';
    const values = await poller.read({ table, offset: step.offset, count: step.values.length });
    for (const s of step.serves)
      results.set(s.key, { status: 'fulfilled', value: poller.decode(planOf(s.key), values, s.index, ts) });
  } catch (err) {
    fail(err);
  }
}

/** One queued task per step; a bit inside a register is read and written in the same task, so nothing interleaves. */
function send(poller: DevicePoller, step: WriteStep<number>): Promise<void> {
  const { unit } = poller.plan;
  const { transport, queue } = poller.line;
  return queue.submit(unit, async () => {
    if (step.kind === 'coils') {
      return step.values.length === 1
        ? transport.writeCoil(unit, step.offset, step.values[0]!)
        : transport.writeCoils(unit, step.offset, step.values);
    }
    if (step.kind === 'registers') {
      return step.values.length === 1
        ? transport.writeRegister(unit, step.offset, step.values[0]!)
        : transport.writeRegisters(unit, step.offset, step.values);
    }
    const { spec, value } = step.item;
    const current = await transport.readHoldingRegisters(unit, spec.offset, 1);
    return transport.writeRegister(unit, spec.offset, encodeRegisters(value, spec, current)[0]!);
  });
}

/** A merged step as one step per property (its serves are contiguous and in address order). */
export function alone<K>(step: MergedStep<K>): Array<MergedStep<K>> {
  return step.serves.map((s, i) => {
    const end = step.serves[i + 1]?.index ?? step.values.length;
    return {
      ...step,
      offset: step.offset + s.index,
      values: step.values.slice(s.index, end),
      serves: [{ ...s, index: 0 }],
    } as MergedStep<K>;
  });
}
