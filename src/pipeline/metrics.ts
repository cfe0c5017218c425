import { Counter, type Registry } from 'prom-client';
import { errorText } from '../core/errors/index.js';
import { errors } from './errors.js';
import type { PipelineCounters } from './types.js';

/**
 * Exposes plain counters on `registry` as `kedge_pipeline_readings_total{outcome, reason}`. The
 * values are copied at scrape time, so the hot path only increments plain numbers.
 */
export function registerPipelineMetrics(registry: Registry, counters: PipelineCounters): void {
  try {
    new Counter({
      name: 'kedge_pipeline_readings_total',
      help: 'Readings through the cleansing pipelines, by outcome and reason',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ outcome: 'processed', reason: '' }, counters.processed);
        this.inc({ outcome: 'emitted', reason: '' }, counters.emitted);
        this.inc({ outcome: 'emitted', reason: 'heartbeat' }, counters.heartbeats);
        this.inc({ outcome: 'held', reason: '' }, counters.held);
        this.inc({ outcome: 'stale', reason: '' }, counters.stale);
        for (const [reason, n] of Object.entries(counters.suppressed)) this.inc({ outcome: 'suppressed', reason }, n);
        for (const [reason, n] of Object.entries(counters.rejected)) this.inc({ outcome: 'rejected', reason }, n);
        for (const [reason, n] of Object.entries(counters.clamped)) this.inc({ outcome: 'clamped', reason }, n);
      },
    });
  } catch (err) {
    throw errors.create('KEDGE_PIPELINE_METRICS', `cannot register pipeline metrics: ${errorText(err)}`, {
      cause: err,
    });
  }
}
