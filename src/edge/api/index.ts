export { EdgeApi, type EdgeApiDeps } from './module.js';
export { apiErrors } from './errors.js';
