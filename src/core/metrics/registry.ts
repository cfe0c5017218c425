import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';

export type { Registry } from 'prom-client';

// prom-client (about 5 MB of RSS with its dependencies) loads when a process first creates a
// registry someone reads, not when this module loads: a mapper started without --metrics-port
// never loads it (detached.ts).
const requireLazily = createRequire(import.meta.url);

export function promClient(): typeof PromClient {
  return requireLazily('prom-client') as typeof PromClient;
}

/**
 * How often the event loop delay histogram (`nodejs_eventloop_lag_p99_seconds`, ...) samples, in
 * ms. prom-client's default, 10 ms, wakes an idle process 100 times a second: about 3 ms of CPU
 * per second in each of cloud and edge on a 2-core VM, as much as all their own idle work
 * (bench/RESULTS.md "Fixed costs"). Sampled once a second, a stall of a second or more always shows,
 * and `nodejs_eventloop_lag_seconds` (measured at each scrape) is unchanged.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

/**
 * A process's own metrics registry, passed to every module (never prom-client's global one, so
 * tests and several runtimes in one process do not collide). Node's default metrics keep their
 * standard names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...): stock Node.js
 * dashboards and alerts find them only under those names.
 */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const { Registry: PromRegistry, collectDefaultMetrics } = promClient();
  const registry = new PromRegistry();
  if (options.defaultMetrics)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}
