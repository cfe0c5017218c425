import type { DeviceInstance } from '../../src/model/index.js';
import { instanceHash } from './instance-hash.js';

/** What must happen to move from the applied devices (id -> hash) to the desired ones. */
export interface ReconcilePlan {
  add: DeviceInstance[];
  remove: string[];
  /** Changed devices: removed, then added again with the new instance. */
  change: DeviceInstance[];
  /** Hash of every desired device, to store once the plan is applied. */
  hashes: Map<string, string>;
}

/**
 * Diffs the desired set against what runs. Unchanged devices are left alone (their connections and
 * poll schedules keep running); only changed ones restart. A duplicate id keeps its last entry.
 */
export function planReconcile(applied: ReadonlyMap<string, string>, desired: readonly DeviceInstance[]): ReconcilePlan {
  const byId = new Map<string, DeviceInstance>();
  for (const device of desired) byId.set(device.id, device);
  const plan: ReconcilePlan = { add: [], remove: [], change: [], hashes: new Map() };
  for (const [id, device] of byId) {
    const hash = instanceHash(driverView(device));
    plan.hashes.set(id, hash);
    const current = applied.get(id);
    if (current === undefined) plan.add.push(device);
    else if (current !== hash) plan.change.push(device);
  }
  for (const id of applied.keys()) if (!byId.has(id)) plan.remove.push(id);
  return plan;
}

/**
 * The part of an instance a driver works from. Desired values reach the driver as twin deltas and
 * cleansing runs on the edge, so a change to either must not restart the device: a desired value
 * set from the cloud changes the Device spec, and restarting the device would cancel the very
 * write that the delta asks for.
 */
function driverView(device: DeviceInstance): unknown {
  return {
    ...device,
    properties: device.properties.map(({ desired: _desired, cleansing: _cleansing, ...rest }) => rest),
  };
}
