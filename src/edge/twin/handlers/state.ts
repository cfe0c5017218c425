// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/device.go: dealDeviceStateUpdate.
import { type EdgeChannels, edgeTopics, type StateUpdateResult } from '../../../contracts/index.js';
import type { TwinContext } from '../context.js';
import { announceUnconfirmed } from '../desired.js';
import { ResultCode } from '../errors.js';
import { errorResult } from '../messages.js';

/** `state/update`: the device's connection state; a device coming online gets its unconfirmed desired values. */
export function onDeviceState(ctx: TwinContext, { deviceId, message }: EdgeChannels['device.state']): void {
  const twin = ctx.twin(deviceId);
  const now = ctx.now();
  const topic = edgeTopics.stateUpdateResult(deviceId);
  if (!twin)
    return ctx.publish(
      topic,
      errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, message.event_id),
    );
  const wasOnline = twin.state.state === 'online';
  const changed = twin.state.state !== message.state || twin.state.reason !== message.reason;
  twin.state = { state: message.state, ts: message.timestamp, ...(message.reason ? { reason: message.reason } : {}) };
  ctx.book.touchState(deviceId, changed);
  ctx.publish(topic, {
    event_id: message.event_id,
    timestamp: now,
    state: message.state,
    device: {
      name: twin.device.instance.name,
      state: message.state,
      // omitempty: KubeEdge sets it for online (and ok) only.
      ...(message.state === 'online' ? { lastOnlineTime: rfc3339(now) } : {}),
    },
  } satisfies StateUpdateResult);
  if (!wasOnline && message.state === 'online') announceUnconfirmed(ctx, twin);
}

/** Go's time.RFC3339 of the UTC time, as dtmanager/device.go writes lastOnline ("2026-12-08T04:40:00Z"). */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
