import type {
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
} from 'prom-client';
import { isLite, LiteCounter, LiteGauge, LiteHistogram, type LiteRegistry } from './lite.js';
import { promClient } from './registry.js';

const detached = new WeakSet<object>();

/**
 * A registry nobody reads (a mapper without --metrics-port): metrics created with `counter()` and
 * `gauge()` below for it are no-ops and prom-client is never loaded. A prom-client metric created
 * directly against it still works (prom-client only calls `registerMetric`/`getSingleMetric` on
 * the registries a metric names), it just is never read.
 */
export function detachedRegistry(): Registry {
  const metrics = new Map<string, unknown>();
  const registry = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    registerMetric: (metric: { name: string }) => void metrics.set(metric.name, metric),
    getSingleMetric: (name: string) => metrics.get(name),
    getMetricsAsArray: () => [...metrics.values()],
    metrics: async () => '',
    clear: () => metrics.clear(),
  };
  detached.add(registry);
  return registry as unknown as Registry;
}

export function isDetached(registry: Registry): boolean {
  return detached.has(registry);
}

const noop = (): void => undefined;
const NO_COUNTER = { inc: noop, reset: noop, remove: noop, labels: () => NO_COUNTER };
const NO_HISTOGRAM = { observe: noop, reset: noop, remove: noop, startTimer: () => noop, labels: () => NO_HISTOGRAM };
const NO_GAUGE = {
  inc: noop,
  dec: noop,
  set: noop,
  reset: noop,
  remove: noop,
  setToCurrentTime: noop,
  labels: () => NO_GAUGE,
};

/** A prom-client Counter registered in `registry` (reused if it is there already), or a no-op for a detached one. */
export function counter<L extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<L>, 'registers'>,
): Counter<L> {
  if (isDetached(registry)) return NO_COUNTER as unknown as Counter<L>;
  const existing = registry.getSingleMetric(config.name) as Counter<L> | undefined;
  if (existing) return existing;
  if (isLite(registry)) return lite(registry, new LiteCounter(config)) as unknown as Counter<L>;
  return new (promClient().Counter)<L>({ ...config, registers: [registry] });
}

/** A prom-client Gauge registered in `registry`, or a no-op for a detached one. */
export function gauge<L extends string>(
  registry: Registry,
  config: Omit<GaugeConfiguration<L>, 'registers'>,
): Gauge<L> {
  if (isDetached(registry)) return NO_GAUGE as unknown as Gauge<L>;
  if (isLite(registry)) return lite(registry, new LiteGauge(config as never)) as unknown as Gauge<L>;
  return new (promClient().Gauge)<L>({ ...config, registers: [registry] });
}

/** A prom-client Histogram registered in `registry` (reused if it is there already), or a no-op for a detached one. */
export function histogram<L extends string>(
  registry: Registry,
  config: Omit<HistogramConfiguration<L>, 'registers'>,
): Histogram<L> {
  if (isDetached(registry)) return NO_HISTOGRAM as unknown as Histogram<L>;
  const existing = registry.getSingleMetric(config.name) as Histogram<L> | undefined;
  if (existing) return existing;
  if (isLite(registry)) return lite(registry, new LiteHistogram(config as never)) as unknown as Histogram<L>;
  return new (promClient().Histogram)<L>({ ...config, registers: [registry] });
}

function lite<M extends { name: string }>(registry: Registry, metric: M): M {
  (registry as unknown as LiteRegistry).registerMetric(metric as never);
  return metric;
}
