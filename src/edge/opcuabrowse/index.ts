export { OpcuaBrowse, type OpcuaBrowseDeps } from './module.js';
