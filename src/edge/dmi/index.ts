export { DmiModule, type DmiModuleDeps } from './module.js';
