export type { Module } from './module.js';
export { ModuleRuntime, type RuntimeOptions } from './runtime.js';
export { stopOnSignal, type Stoppable } from './signals.js';
export { moduleErrors } from './errors.js';
