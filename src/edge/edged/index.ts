export { Edged, type EdgedDeps } from './module.js';
export { ChildProcessRuntime, type ProcessRuntime, type RunningWorkload, type WorkloadSpec } from './runtime.js';
export {
  InProcessRuntime,
  type InProcessMapper,
  type InProcessMapperFactory,
  type InProcessMapperOptions,
} from './inprocess-runtime.js';
export { Supervisor, DEFAULT_BACKOFF, type BackOff } from './supervisor.js';
export { LogBudget, RotatingLog } from './rotating-log.js';
export { edgedErrors } from './errors.js';
export { DockerEngine } from './container/docker-engine.js';
export type { ContainerEngine, ContainerInfo, ContainerSpec } from './container/engine.js';
export { LABEL as CONTAINER_LABEL } from './container/labels.js';
export { findEngineSocket } from './container/socket.js';
export { POD_BACKOFF } from './pods/pod-manager.js';
