export { EdgeApi, type EdgeApiDeps } from './module.js';
