export { createMetricsRegistry, type Registry } from './registry.js';
export { LiteRegistry, isLite } from './lite.js';
export { detachedRegistry, isDetached, counter, gauge, histogram } from './detached.js';
export {
  escapeLabelValue,
  mergeFamilies,
  parseExposition,
  withLabel,
  writeExposition,
  type MetricFamily,
} from './exposition.js';
