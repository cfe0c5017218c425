export { createMetricsRegistry, type Registry } from './registry.js';
export { detachedRegistry, isDetached, counter, gauge } from './detached.js';
