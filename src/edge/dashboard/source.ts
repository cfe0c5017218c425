import type { EdgeChannels, EdgeRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { FeedSource } from '../../dashboard/index.js';

const endpoint = { name: 'dashboard', group: 'dashboard' };
/** Twin changes of a device are read back at most this often (a desired value, a write result). */
const TWIN_REFRESH_MS = 250;

/**
 * The edge's live data for its own dashboard (a standalone gateway): cleansed readings with their
 * reason and unit, device states, and each device's twin read again after it changed.
 */
export function edgeFeedSource(bus: Bus<EdgeChannels, EdgeRequests>): FeedSource {
  return {
    async start(sink) {
      const stale = new Set<string>();
      let timer: NodeJS.Timeout | undefined;
      const refresh = (deviceId: string) => {
        stale.add(deviceId);
        timer ??= setTimeout(() => {
          timer = undefined;
          const ids = [...stale];
          stale.clear();
          for (const id of ids)
            void bus.request('twin.view', { deviceId: id }).then(
              (v) => v && sink.twin(v),
              () => undefined,
            );
        }, TWIN_REFRESH_MS);
      };
      const undo = [
        bus.subscribe('device.cleansed', endpoint, (e) => {
          sink.readings(
            e.deviceId,
            e.readings.map((r) => ({
              property: r.property,
              value: r.value,
              unit: r.unit,
              quality: r.quality,
              reason: r.reason,
              ts: r.ts,
            })),
          );
        }),
        bus.subscribe('device.state', endpoint, (e) =>
          sink.state(e.deviceId, e.message.state, e.message.reason, e.message.timestamp),
        ),
        bus.subscribe('twin.desired', endpoint, (e) => refresh(e.deviceId)),
        bus.subscribe('device.writeResult', endpoint, (e) => refresh(e.deviceId)),
        bus.subscribe('mapper.status', endpoint, () => sink.nodes()),
        bus.subscribe('link.state', endpoint, () => sink.nodes()),
        bus.subscribe('devices.changed', endpoint, (e) => {
          if (e.added.length > 0 || e.removed.length > 0) sink.devices();
        }),
      ];
      for (const d of await bus.request('meta.devices', {})) {
        const view = await bus.request('twin.view', { deviceId: d.instance.id });
        if (view) sink.twin(view);
      }
      return () => {
        clearTimeout(timer);
        for (const u of undo) u();
      };
    },
  };
}
