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
  ctx.publish(topic, { event_id: message.event_id, timestamp: now, state: message.state } satisfies StateUpdateResult);
  if (!wasOnline && message.state === 'online') announceUnconfirmed(ctx, twin);
}
