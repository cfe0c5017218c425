// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/membership.go: dealMembershipGet and
// dealMembershipUpdated (devices joining and leaving this node).
import {
  type EdgeChannels,
  type EdgeDevice,
  edgeTopics,
  type MembershipGetResult,
  type MembershipUpdated,
} from '../../../contracts/index.js';
import type { TwinRecord } from '../../store/index.js';
import type { DeviceTwin } from '../book.js';
import type { TwinContext } from '../context.js';
import { applyDesired, armTimer, clearTimersOf, publishDelta } from '../desired.js';
import { eventBase } from '../messages.js';

/** `membership/get`: the devices of this node with their twins. */
export function onMembershipGet(ctx: TwinContext, { eventId }: EdgeChannels['membership.get']): void {
  const devices = [...ctx.book.twins.values()].map((twin) => ({
    ...ctx.memberOf(twin.device.instance.id),
    twin: ctx.msgTwins(twin),
  }));
  ctx.publish(edgeTopics.membershipGetResult(ctx.deps.node), {
    event_id: eventId,
    timestamp: ctx.now(),
    devices,
  } satisfies MembershipGetResult);
}

/** MetaManager's device set changed: twins join and leave, and `membership/updated` says which. */
export function onDevicesChanged(ctx: TwinContext, { devices, removed }: EdgeChannels['devices.changed']): void {
  const added: string[] = [];
  for (const id of removed) {
    clearTimersOf(ctx, id);
    ctx.book.forget(id);
    for (const outcome of ['confirmed', 'failed', 'timeout'] as const)
      ctx.writes.outcomes.remove({ device: id, outcome });
  }
  for (const d of devices) {
    const existing = ctx.twin(d.instance.id);
    if (existing && JSON.stringify(existing.device) === JSON.stringify(d)) continue;
    if (!existing) added.push(d.instance.id);
    addDevice(ctx, d, existing?.records ?? new Map(), existing?.state);
  }
  if (added.length + removed.length > 0) {
    ctx.publish(edgeTopics.membershipUpdated(ctx.deps.node), {
      ...eventBase(ctx.now()),
      added_devices: added.map((id) => ctx.memberOf(id)),
      removed_devices: removed.map((id) => ({ id, name: id.slice(id.indexOf('/') + 1) })),
    } satisfies MembershipUpdated);
  }
}

/**
 * A device joins (at start with its stored records, or from MetaManager): its spec's desired
 * values are applied once per change of the spec, and unconfirmed ones are announced again so
 * that the mapper gets them after a restart.
 */
export function addDevice(
  ctx: TwinContext,
  device: EdgeDevice,
  records: Map<string, TwinRecord>,
  state: DeviceTwin['state'] | undefined,
): void {
  const id = device.instance.id;
  const twin: DeviceTwin = {
    device,
    props: new Map(device.instance.properties.map((p) => [p.name, p])),
    records,
    state: state ?? { state: 'unknown', ts: ctx.now() },
  };
  ctx.book.twins.set(id, twin);
  let delta = false;
  for (const p of device.instance.properties) {
    const rec = ctx.record(twin, p.name);
    if (rec.pending) {
      armTimer(ctx, id, p.name, rec.pending.deadline - ctx.now());
      delta = true;
    }
    if (p.desired !== undefined && p.desired !== rec.specDesired) {
      rec.specDesired = p.desired;
      if (applyDesired(ctx, twin, p, p.desired, 'cloud')) delta = true;
      ctx.book.touch(id, p.name);
    }
  }
  if (delta) publishDelta(ctx, twin);
}
