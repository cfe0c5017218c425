/** The mapper SDK: what every protocol driver plugs into (driver contract, runtime, helpers). */
export type { DriverReading, DeviceState, DriverContext, ProtocolDriver, DriverModule } from './contract.js';
export { MapperRuntime, HELD_FILE, mapperBuffer, type MapperRuntimeOptions } from './runtime.js';
export { mapperErrors, driverRegistry, type DriverLoader, type DriverRegistry } from './contract.js';
export { deviceProblem } from './device-check.js';
export { planReconcile, type ReconcilePlan } from './reconcile.js';
export { instanceHash } from './instance-hash.js';
export { WriteQueue } from './write-queue.js';
