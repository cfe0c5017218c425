import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function edgehubMetrics(registry: Registry, state: () => { connected: boolean; inflight: number }) {
  return {
    sent: new Counter({
      name: 'kedge_edgehub_sent_total',
      help: 'Outbox messages sent to the cloud (re-sends included)',
      registers: [registry],
    }),
    sentBytes: new Counter({
      name: 'kedge_edgehub_sent_bytes_total',
      help: 'Bytes of outbox messages sent to the cloud (the JSON text, before WebSocket framing; re-sends included)',
      registers: [registry],
    }),
    acked: new Counter({
      name: 'kedge_edgehub_acked_total',
      help: 'Outbox messages acknowledged by the cloud and removed',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'kedge_edgehub_refused_total',
      help: 'Outbox messages the cloud refused for good (removed)',
      registers: [registry],
    }),
    oversized: new Counter({
      name: 'kedge_edgehub_oversized_total',
      help: 'Outbox entries larger than a frame may be (removed)',
      registers: [registry],
    }),
    inbound: new Counter({
      name: 'kedge_edgehub_inbound_total',
      help: 'Messages from the cloud put on the edge bus',
      registers: [registry],
    }),
    serviceCalls: new Counter({
      name: 'kedge_edgehub_service_calls_total',
      help: 'ServiceBus calls from the cloud, by error code (ok when the target answered)',
      labelNames: ['code'],
      registers: [registry],
    }),
    rejectedFrames: new Counter({
      name: 'kedge_edgehub_rejected_frames_total',
      help: 'Frames from the cloud that closed the connection (malformed, too big)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    connects: new Counter({
      name: 'kedge_edgehub_connects_total',
      help: 'Connections opened to the cloud',
      registers: [registry],
    }),
    connectFailures: new Counter({
      name: 'kedge_edgehub_connect_failures_total',
      help: 'Connections to the cloud that failed or dropped',
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'kedge_edge_to_cloud_latency_seconds',
      help: 'From a message committed to the outbox to the cloud acknowledging it (handled: published to cloud MQTT or stored); includes the time spent waiting out a link outage',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
      registers: [registry],
    }),
    connected: new Gauge({
      name: 'kedge_edgehub_connected',
      help: '1 while the link to the cloud is up',
      registers: [registry],
      collect() {
        this.set(state().connected ? 1 : 0);
      },
    }),
    inflight: new Gauge({
      name: 'kedge_edgehub_inflight',
      help: 'Messages sent and not yet acknowledged',
      registers: [registry],
      collect() {
        this.set(state().inflight);
      },
    }),
  };
}
export type EdgehubMetrics = ReturnType<typeof edgehubMetrics>;
