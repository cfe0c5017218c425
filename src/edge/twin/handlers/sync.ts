// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/twin.go: dealTwinSync (desired values the cloud
// sends down; in kedge MetaManager has checked the link content and publishes them here).
import type { EdgeChannels } from '../../../contracts/index.js';
import { errorText } from '../../../core/errors/index.js';
import type { TwinContext } from '../context.js';
import { setDesired } from '../desired.js';

/** Desired values from the cloud: applied whole, or refused whole (logged; the cloud's copy stays). */
export function onCloudDesired(ctx: TwinContext, { deviceId, desired, source }: EdgeChannels['twin.desired']): void {
  try {
    setDesired(ctx, deviceId, desired, source);
  } catch (err) {
    ctx.deps.logger.warn({ deviceId, source, err: errorText(err) }, 'desired values rejected');
  }
}
