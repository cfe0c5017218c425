import { Registry, collectDefaultMetrics } from 'prom-client';

export { Registry } from 'prom-client';

/**
 * A process's own metrics registry, passed to every module (never prom-client's global one, so
 * tests and several runtimes in one process do not collide).
 */
export function createMetricsRegistry(options: { defaultMetrics?: boolean; prefix?: string } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: options.prefix ?? 'kedge_' });
  return registry;
}
