// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/twin.go: expected values and their delta
// (DealMsgTwin's expected branch, dealDelta). kedge adds the confirmation loop: a desired value
// stays pending until a reading or the mapper's read-back matches it, and fails after a timeout.
import { edgeTopics, type DesiredFailed, type DesiredSource, type TwinDelta } from '../../contracts/index.js';
import { normalizeDesired, writeLimitsFor, type PropertyInstance } from '../../model/index.js';
import type { TwinRecord } from '../store/index.js';
import type { DeviceTwin } from './book.js';
import type { TwinContext, WriteOutcome } from './context.js';
import { twinErrors } from './errors.js';
import { eventBase } from './messages.js';
import { liveOptional } from './optional.js';
import { confirms } from './values.js';

/** Sets a desired value; returns true when it now waits for the device (a delta is due). */
export function applyDesired(
  ctx: TwinContext,
  twin: DeviceTwin,
  prop: PropertyInstance,
  value: string,
  source: DesiredSource,
): boolean {
  const id = twin.device.instance.id;
  const now = ctx.now();
  const rec = ctx.record(twin, prop.name);
  if (source === 'cloud') rec.cloudVersion++;
  else rec.edgeVersion++;
  rec.desired = { value, ts: now, version: rec.cloudVersion + rec.edgeVersion, source };
  delete rec.failed;
  clearTimer(ctx, id, prop.name);
  const reported = rec.reported && rec.reported.quality !== 'bad' ? rec.reported.value : null;
  if (reported !== null && confirms(prop.type, value, reported)) delete rec.pending;
  else {
    const timeout = ctx.timeoutOf(twin);
    rec.pending = { value, since: now, deadline: now + timeout };
    armTimer(ctx, id, prop.name, timeout);
  }
  ctx.book.touch(id, prop.name);
  ctx.book.report(
    id,
    prop.name,
    { desired: { value, ts: now, version: rec.desired.version }, desiredSource: source },
    true,
  );
  return rec.pending !== undefined;
}

/**
 * Checks every value first (type, range, what the device's register holds: normalizeDesired) and
 * applies it in its one spelling: a request is applied whole or not at all. Throws KEDGE_TWIN_*.
 */
export function setDesired(
  ctx: TwinContext,
  deviceId: string,
  desired: Record<string, string>,
  source: DesiredSource,
): DeviceTwin {
  const twin = ctx.twin(deviceId);
  if (!twin) throw twinErrors.create('KEDGE_TWIN_UNKNOWN_DEVICE', `device ${deviceId} is not on this node`);
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(desired)) {
    const prop = twin.props.get(name);
    if (!prop) throw twinErrors.create('KEDGE_TWIN_UNKNOWN_PROPERTY', `device ${deviceId} has no property ${name}`);
    if (prop.accessMode !== 'ReadWrite')
      throw twinErrors.create('KEDGE_TWIN_READ_ONLY', `property ${deviceId}/${name} is ReadOnly`);
    try {
      checked[name] = normalizeDesired(
        prop,
        value,
        writeLimitsFor(twin.device.instance.protocol, prop.visitor, prop.type),
      );
    } catch (err) {
      throw twinErrors.create('KEDGE_TWIN_BAD_VALUE', `device ${deviceId}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  let delta = false;
  for (const [name, value] of Object.entries(checked))
    delta = applyDesired(ctx, twin, twin.props.get(name)!, value, source) || delta;
  if (delta) publishDelta(ctx, twin);
  return twin;
}

/** The device reports the desired value: it is no longer pending. */
export function confirm(ctx: TwinContext, twin: DeviceTwin, prop: PropertyInstance, rec: TwinRecord): void {
  const id = twin.device.instance.id;
  settled(ctx, id, rec, 'confirmed', ctx.now());
  delete rec.pending;
  delete rec.failed;
  clearTimer(ctx, id, prop.name);
  ctx.book.touch(id, prop.name);
  if (rec.reported) ctx.book.report(id, prop.name, { reported: rec.reported }, true);
  ctx.waiters.wake(id);
  ctx.deps.logger.debug({ deviceId: id, property: prop.name }, 'desired value confirmed');
}

/** The device refused it, read back another value, or did not confirm in time. */
export function fail(
  ctx: TwinContext,
  twin: DeviceTwin,
  prop: PropertyInstance,
  rec: TwinRecord,
  reason: string,
  outcome: WriteOutcome = 'failed',
): void {
  const id = twin.device.instance.id;
  const now = ctx.now();
  settled(ctx, id, rec, outcome, now);
  const value = rec.pending?.value ?? rec.desired?.value ?? '';
  delete rec.pending;
  rec.failed = { value, reason, ts: now };
  clearTimer(ctx, id, prop.name);
  ctx.book.touch(id, prop.name);
  ctx.book.report(id, prop.name, { failed: rec.failed }, true);
  // On kedge's own topic: KubeEdge's result topic answers requests (a 504 there, with an event id
  // nobody sent, confused mappers and apps written for KubeEdge).
  ctx.publish(edgeTopics.desiredFailed(id), {
    ...eventBase(now),
    property: prop.name,
    value,
    reason,
  } satisfies DesiredFailed);
  ctx.deps.logger.warn({ deviceId: id, property: prop.name, value, reason }, 'desired value not confirmed');
  ctx.waiters.wake(id);
}

/**
 * KubeEdge's delta (dttype BuildDeviceTwinDelta): every twin whose desired value the device does
 * not report: waiting for confirmation, failed (timed out) or drifted since, and optional twins
 * whose expected differs from their actual. Nothing is sent while there is none.
 */
export function publishDelta(ctx: TwinContext, twin: DeviceTwin): void {
  const delta: Record<string, string> = {};
  for (const [name, rec] of twin.records) {
    const prop = twin.props.get(name);
    if (rec.pending) delta[name] = rec.pending.value;
    else if (!rec.desired || rec.desired.value === '') continue;
    else if (!prop) {
      if (liveOptional(rec) && rec.desired.value !== rec.reported?.value) delta[name] = rec.desired.value;
    } else if (
      !rec.reported ||
      rec.reported.quality === 'bad' ||
      !confirms(prop.type, rec.desired.value, rec.reported.value)
    )
      delta[name] = rec.desired.value;
  }
  if (Object.keys(delta).length === 0) return;
  ctx.publish(edgeTopics.twinUpdateDelta(twin.device.instance.id), {
    ...eventBase(ctx.now()),
    twin: ctx.msgTwins(twin),
    delta,
  } satisfies TwinDelta);
}

export function armTimer(ctx: TwinContext, deviceId: string, property: string, ms: number): void {
  clearTimer(ctx, deviceId, property);
  const key = timerKey(deviceId, property);
  const expire = () => {
    ctx.timers.delete(key);
    const twin = ctx.twin(deviceId);
    const prop = twin?.props.get(property);
    const rec = twin?.records.get(property);
    if (!twin || !prop || !rec?.pending) return;
    const reported = rec.reported ? `reported ${rec.reported.value} (${rec.reported.quality})` : 'nothing reported';
    fail(ctx, twin, prop, rec, `not confirmed by the device within ${ctx.timeoutOf(twin)} ms; ${reported}`, 'timeout');
  };
  ctx.timers.set(key, ctx.deps.clock.setTimeout(expire, Math.max(0, ms)));
}

export function clearTimer(ctx: TwinContext, deviceId: string, property: string): void {
  const key = timerKey(deviceId, property);
  const t = ctx.timers.get(key);
  if (t) ctx.deps.clock.clearTimeout(t);
  ctx.timers.delete(key);
}

/** The device left the node: its timers go with it. */
export function clearTimersOf(ctx: TwinContext, deviceId: string): void {
  for (const key of [...ctx.timers.keys()].filter((k) => k.startsWith(`${deviceId}\u0000`))) {
    ctx.deps.clock.clearTimeout(ctx.timers.get(key)!);
    ctx.timers.delete(key);
  }
}

/**
 * A device that has just come online gets every desired value it does not report yet: the delta
 * sent when the value was set may have gone out before a mapper hosted the device (at start-up
 * nobody subscribes yet), and one that timed out while the device was away is still wanted.
 */
export function announceUnconfirmed(ctx: TwinContext, twin: DeviceTwin): void {
  const id = twin.device.instance.id;
  const now = ctx.now();
  let delta = false;
  for (const [name, rec] of twin.records) {
    const prop = twin.props.get(name);
    if (!prop || !rec.desired || !(rec.pending || rec.failed)) continue;
    const reported = rec.reported && rec.reported.quality !== 'bad' ? rec.reported.value : null;
    if (reported !== null && confirms(prop.type, rec.desired.value, reported)) continue;
    const timeout = ctx.timeoutOf(twin);
    delete rec.failed;
    rec.pending = { value: rec.desired.value, since: now, deadline: now + timeout };
    armTimer(ctx, id, name, timeout);
    ctx.book.touch(id, name);
    delta = true;
  }
  if (delta) publishDelta(ctx, twin);
}

function timerKey(deviceId: string, property: string): string {
  return `${deviceId}\u0000${property}`;
}

/** Counts a pending desired value that is settled now, and its round trip. */
function settled(ctx: TwinContext, deviceId: string, rec: TwinRecord, outcome: WriteOutcome, now: number): void {
  if (!rec.pending) return;
  ctx.writes.outcomes.inc({ device: deviceId, outcome });
  ctx.writes.seconds.observe({ outcome }, Math.max(0, now - rec.pending.since) / 1000);
}
