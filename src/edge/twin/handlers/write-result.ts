// kedge's own, no KubeEdge counterpart: the mapper's answer to a delta (`write/result`), which
// closes the loop twin.go's dealDelta opens (KubeEdge waits for the next reported value).
import type { EdgeChannels } from '../../../contracts/index.js';
import type { TwinContext } from '../context.js';
import { confirm, fail } from '../desired.js';
import { confirms } from '../values.js';

/**
 * The read-back already went through the pipeline (the EventBus publishes it as a reading before
 * the result), and a cleansed value matching the desired one has confirmed it there. What is still
 * pending is judged by the raw read-back: cleansing may hold or smooth the value.
 */
export function onWriteResult(ctx: TwinContext, { deviceId, result }: EdgeChannels['device.writeResult']): void {
  const twin = ctx.twin(deviceId);
  const prop = twin?.props.get(result.property);
  if (!twin || !prop) return;
  const rec = ctx.record(twin, prop.name);
  if (!rec.pending || rec.pending.value !== result.desired) return;
  if (!result.ok) return fail(ctx, twin, prop, rec, result.reason ?? 'the mapper could not write the value');
  const readBack = result.readBack;
  if (!readBack) return;
  if (readBack.quality !== 'bad' && !confirms(prop.type, rec.pending.value, readBack.value)) {
    fail(
      ctx,
      twin,
      prop,
      rec,
      `the device reads back ${JSON.stringify(readBack.value)} after writing ${JSON.stringify(result.desired)}`,
    );
  } else confirm(ctx, twin, prop, rec);
}
