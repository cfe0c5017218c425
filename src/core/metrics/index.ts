export { createMetricsRegistry, Registry } from './registry.js';
