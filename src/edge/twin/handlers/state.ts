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
    device: { name: twin.device.instance.name, state: message.state, lastOnlineTime: goDateTime(now) },
  } satisfies StateUpdateResult);
  if (!wasOnline && message.state === 'online') announceUnconfirmed(ctx, twin);
}

/** Go's "2006-01-02 15:04:05" layout, which KubeEdge's lastOnlineTime uses (UTC here). */
function goDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
