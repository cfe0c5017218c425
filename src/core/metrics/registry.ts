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
 * A process's own metrics registry, passed to every module (never prom-client's global one, so
 * tests and several runtimes in one process do not collide). Node's default metrics keep their
 * standard names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...): stock Node.js
 * dashboards and alerts find them only under those names.
 */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const { Registry: PromRegistry, collectDefaultMetrics } = promClient();
  const registry = new PromRegistry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}
