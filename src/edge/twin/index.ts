export { TwinModule, LOCAL_DESIRED_ANNOTATION, DESIRED_TIMEOUT_ANNOTATION, type TwinModuleDeps } from './module.js';
export { twinErrors, ResultCode } from './errors.js';
