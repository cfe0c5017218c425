export { CloudApi, type CloudApiOptions } from './api.js';
