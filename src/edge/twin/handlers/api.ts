// kedge's own, no KubeEdge counterpart (KubeEdge's local API is MetaServer, without twins): the
// local HTTP API's twin view and desired values (docs/api.md).
import type { EdgeRequests, TwinView } from '../../../contracts/index.js';
import type { TwinContext } from '../context.js';
import { setDesired } from '../desired.js';
import { liveOptional } from '../optional.js';

/** The twin of one device as the API shows it. */
export function twinView(ctx: TwinContext, deviceId: string): TwinView | undefined {
  const twin = ctx.twin(deviceId);
  if (!twin) return undefined;
  const properties: TwinView['properties'] = {};
  for (const name of twin.props.keys()) {
    const rec = twin.records.get(name);
    const p: TwinView['properties'][string] = {};
    if (rec?.desired) p.desired = { value: rec.desired.value, ts: rec.desired.ts, version: rec.desired.version };
    if (rec?.reported) p.reported = { ...rec.reported };
    if (rec?.pending) p.pending = true;
    if (rec?.failed) p.failed = { reason: rec.failed.reason, ts: rec.failed.ts };
    properties[name] = p;
  }
  for (const [name, rec] of twin.records) {
    if (twin.props.has(name) || !liveOptional(rec)) continue;
    properties[name] = {
      optional: true,
      ...(rec.desired
        ? { desired: { value: rec.desired.value, ts: rec.desired.ts, version: rec.desired.version } }
        : {}),
      ...(rec.reported ? { reported: { ...rec.reported } } : {}),
    };
  }
  return {
    id: deviceId,
    state: twin.state.state,
    ...(twin.state.reason ? { reason: twin.state.reason } : {}),
    ...(twin.state.ts ? { stateTs: twin.state.ts } : {}),
    properties,
  };
}

/**
 * Desired values from the local API, which is the node's administrator (127.0.0.1 only): no
 * local-desired policy applies. `waitMs` waits until each is confirmed or failed.
 */
export async function setDesiredFromApi(
  ctx: TwinContext,
  { deviceId, properties, waitMs }: EdgeRequests['twin.setDesired']['request'],
): Promise<TwinView> {
  const twin = setDesired(ctx, deviceId, properties, 'edge');
  if (waitMs && waitMs > 0) {
    const names = Object.keys(properties);
    await ctx.waiters.wait(deviceId, waitMs, () => names.every((n) => !twin.records.get(n)?.pending));
  }
  return twinView(ctx, deviceId)!;
}
