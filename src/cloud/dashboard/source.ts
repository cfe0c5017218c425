import {
  forEachColumnReading,
  type CloudChannels,
  type CloudMqttPublish,
  type CloudRequests,
  type TwinView,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { FeedSink, FeedSource } from '../../dashboard/index.js';

const endpoint = { name: 'dashboard', group: 'dashboard' };

/**
 * The cloud's live data for the dashboard: what consumers get on cloud MQTT (twins, device and node
 * status: the same payloads, so the page shows what a consumer sees) and the telemetry behind
 * kedge/telemetry as the edge sent it (column-wise: read without parsing the consumer payload
 * again), seeded with every twin when a browser starts watching.
 */
export function cloudFeedSource(bus: Bus<CloudChannels, CloudRequests>): FeedSource {
  return {
    async start(sink) {
      const undo = [
        bus.subscribe('consumer.published', endpoint, (m) => deliver(sink, m)),
        bus.subscribe('telemetry.columns', endpoint, ({ columns }) =>
          forEachColumnReading(columns, (property, unit, value, quality, ts, _i, reason) =>
            sink.reading(columns.device, property, value, quality, ts, unit, reason),
          ),
        ),
        bus.subscribe('node.changed', endpoint, () => sink.nodes()),
        bus.subscribe('devices.listChanged', endpoint, () => sink.devices()),
      ];
      for (const view of await bus.request('twin.list', {})) sink.twin(view);
      return () => {
        for (const u of undo) u();
      };
    },
  };
}

function deliver(sink: FeedSink, m: CloudMqttPublish): void {
  // Telemetry comes column-wise (above): its consumer payload is not parsed again here.
  if (m.topic.startsWith('kedge/telemetry/')) return;
  const parts = m.topic.split('/');
  if (parts[0] !== 'kedge') return;
  const payload = parsed(m.payload) as Record<string, unknown> | undefined;
  if (!payload) return;
  if (parts[1] === 'twin' && parts.length === 4) {
    sink.twin(payload as unknown as TwinView);
  } else if (parts[1] === 'status' && parts[2] === 'device' && parts.length === 5) {
    const s = payload as { state?: string; reason?: string; ts?: number };
    sink.state(`${parts[3]}/${parts[4]}`, s.state ?? 'unknown', s.reason, s.ts ?? 0);
  } else if (parts[1] === 'status' && parts[2] === 'node') {
    sink.nodes();
  }
}

function parsed(payload: unknown): unknown {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    try {
      return JSON.parse(payload.toString());
    } catch {
      return undefined;
    }
  }
  return payload;
}
