export { DeviceMetrics, type DeviceMetricsDeps } from './module.js';
