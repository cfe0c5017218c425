export { ServiceBus, type ServiceBusDeps } from './module.js';
export { compileAllowList } from './allow.js';
export { servicebusErrors } from './errors.js';
