export { MetaManager, type MetaManagerDeps } from './metamanager.js';
export { metaErrors } from './errors.js';
