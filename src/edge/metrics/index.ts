export { DeviceMetrics, type DeviceMetricsDeps } from './device-metrics.js';
export { MetricsFederation, type MetricsFederationDeps } from './federation.js';
