/** The GPIO driver's public face: the DriverModule, backends (sysfs, simulated) and the simulator server. */
export { createDriver, driverModule, GpioDriver, NOT_ACCESSIBLE_REASON, type GpioDriverOptions } from './driver.js';
export { gpioErrors } from './errors.js';
export {
  edgeMatches,
  type GpioBackend,
  type GpioLine,
  type Level,
  type LineOptions,
  type Edge,
  type Direction,
  type WatchCallback,
} from './backend.js';
export { SimGpioBackend, LevelBackend, MemoryLevels, inaccessibleBackend, type LevelSource } from './level-backend.js';
export { createSysfsBackend } from './sysfs-backend.js';
export { GpioSimServer, type GpioSimServerOptions } from './sim/server.js';
export { SimClient, connectSimBackend } from './sim/remote.js';
export { parseScript, type ScriptStep } from './sim/script.js';
