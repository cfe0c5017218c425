/**
 * The light public face of the SDK for protocol drivers: the driver contract and the SDK's error
 * catalogue, without the runtime (so importing it never loads MQTT). The runtime side is `index.ts`.
 */
export type { DriverReading, DeviceState, DriverContext, ProtocolDriver, DriverModule } from './driver.js';
export { mapperErrors } from './errors.js';
export { pollDuration } from './poll-metrics.js';
export { driverRegistry, type DriverLoader, type DriverRegistry } from './driver-registry.js';
