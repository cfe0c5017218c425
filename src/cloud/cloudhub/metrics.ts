import { Counter, Gauge, type Registry } from 'prom-client';

export function cloudhubMetrics(
  registry: Registry,
  pending: () => number,
  connections: () => number,
  calls: () => number,
) {
  return {
    frames: new Counter({
      name: 'kedge_cloudhub_frames_total',
      help: 'Frames received from edge nodes',
      labelNames: ['operation'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'kedge_cloudhub_rejected_frames_total',
      help: 'Frames that closed their connection (malformed, too big) or were refused (unknown resource)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    unauthorized: new Counter({
      name: 'kedge_cloudhub_unauthorized_total',
      help: 'Connections refused for a missing or wrong token (401)',
      registers: [registry],
    }),
    freshStores: new Counter({
      name: 'kedge_cloudhub_fresh_stores_total',
      help: 'Connections with an edge store the cloud had not synced (new, wiped or replaced): everything sent again',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'kedge_cloudhub_duplicates_total',
      help: 'Messages received again after being handled (only acknowledged)',
      registers: [registry],
    }),
    handlerFailures: new Counter({
      name: 'kedge_cloudhub_handler_failures_total',
      help: 'Messages not handled for now (transient failure)',
      registers: [registry],
    }),
    replaced: new Counter({
      name: 'kedge_cloudhub_replaced_connections_total',
      help: 'Connections closed because the same node connected again',
      registers: [registry],
    }),
    timeouts: new Counter({
      name: 'kedge_cloudhub_keepalive_timeouts_total',
      help: 'Connections closed for lack of frames',
      registers: [registry],
    }),
    serviceCalls: new Counter({
      name: 'kedge_cloudhub_service_calls_total',
      help: 'ServiceBus calls and edge queries to edge nodes by outcome (ok, edge_error, timeout, link_lost, too_many, not_connected, too_large)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pendingCalls: new Gauge({
      name: 'kedge_cloudhub_service_calls_pending',
      help: 'ServiceBus calls waiting for an edge answer',
      registers: [registry],
      collect() {
        this.set(calls());
      },
    }),
    sent: new Counter({
      name: 'kedge_cloudhub_downstream_sent_total',
      help: 'Messages sent to edge nodes',
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'kedge_cloudhub_connections',
      help: 'Connected edge nodes',
      registers: [registry],
      collect() {
        this.set(connections());
      },
    }),
    pending: new Gauge({
      name: 'kedge_cloudhub_downstream_pending',
      help: 'Objects waiting for an edge acknowledgement',
      registers: [registry],
      collect() {
        this.set(pending());
      },
    }),
  };
}
export type CloudhubMetrics = ReturnType<typeof cloudhubMetrics>;
