export { CloudApi, type CloudApiOptions } from './api.js';
export { apiErrors } from './errors.js';
