export * from './schema.js';
export { loadConfig, type LoadConfigOptions, type FlagValue } from './load.js';
export { configErrors } from './errors.js';
export { cloudDefaults, edgeDefaults } from './defaults.js';
