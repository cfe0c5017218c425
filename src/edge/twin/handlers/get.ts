// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/twin.go: dealTwinGet / DealGetTwin.
import { type EdgeChannels, edgeTopics, type TwinUpdate } from '../../../contracts/index.js';
import type { TwinContext } from '../context.js';
import { ResultCode } from '../errors.js';
import { errorResult } from '../messages.js';

/** `twin/get`: every property of the device, as KubeEdge's twin message. */
export function onTwinGet(ctx: TwinContext, { deviceId, eventId }: EdgeChannels['twin.get']): void {
  const now = ctx.now();
  const twin = ctx.twin(deviceId);
  const topic = edgeTopics.twinGetResult(deviceId);
  if (!twin)
    return ctx.publish(topic, errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, eventId));
  ctx.publish(topic, { event_id: eventId, timestamp: now, twin: ctx.msgTwins(twin) } satisfies TwinUpdate);
}
