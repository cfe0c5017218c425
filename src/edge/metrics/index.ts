export { DeviceMetrics, type DeviceMetricsDeps } from './device-metrics.js';
export { MetricsFederation, type MetricsFederationDeps } from './federation.js';
export { NodeStatus, type NodeStatusDeps } from './node-status.js';
