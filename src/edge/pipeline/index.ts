export { PipelineModule, type PipelineModuleDeps } from './module.js';
