import type { Counter, Histogram, Registry } from 'prom-client';
import { counter as registered } from '../../src/core/metrics/index.js';
import { pollDuration } from '../sdk/contract.js';

export interface PollerMetrics {
  requests: Counter<'outcome'>;
  readings: Counter<string>;
  skipped: Counter<string>;
  pollSeconds: Histogram<'protocol'>;
}

/** The Modbus driver's counters; reused when a registry already has them (a driver restarted in one process). */
export function pollerMetrics(registry: Registry): PollerMetrics {
  // Reused when the registry has them; no-ops (prom-client not loaded) for a registry nobody reads.
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> =>
    registered(registry, { name, help, labelNames });
  return {
    requests: counter(
      'kedge_modbus_requests_total',
      'Modbus read requests by outcome (ok or the KEDGE_MODBUS_* error code)',
      ['outcome'],
    ),
    readings: counter('kedge_modbus_readings_total', 'Property readings produced by Modbus polls'),
    skipped: counter(
      'kedge_modbus_cycles_skipped_total',
      'Poll cycles skipped because the previous one of the same device and cycle was still running',
    ),
    pollSeconds: pollDuration(registry),
  };
}
