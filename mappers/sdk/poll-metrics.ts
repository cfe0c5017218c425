import type { Histogram, Registry } from 'prom-client';
import { histogram } from '../../src/core/metrics/index.js';

/**
 * How long one device's poll cycle took, from its first request to its last answer (queueing on a
 * shared line included): the figure to watch against the collectCycle. One family for every
 * protocol, one series per protocol, not per device (a histogram is a dozen series each).
 */
export function pollDuration(registry: Registry): Histogram<'protocol'> {
  return histogram(registry, {
    name: 'kedge_mapper_poll_duration_seconds',
    help: 'Duration of one device poll cycle (first request to last answer), by protocol',
    labelNames: ['protocol'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
}
