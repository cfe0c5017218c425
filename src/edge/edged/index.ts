export { Edged, type EdgedDeps } from './module.js';
export { ChildProcessRuntime, type ProcessRuntime, type RunningWorkload, type WorkloadSpec } from './runtime.js';
export {
  InProcessRuntime,
  type InProcessMapper,
  type InProcessMapperFactory,
  type InProcessMapperOptions,
} from './inprocess-runtime.js';
export { Supervisor, DEFAULT_BACKOFF, type BackOff } from './supervisor.js';
export { RotatingLog } from './rotating-log.js';
export { edgedErrors } from './errors.js';
