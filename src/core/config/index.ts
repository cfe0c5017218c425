export * from './schema.js';
export { envNameOf, loadConfig, type LoadConfigOptions, type FlagValue } from './load.js';
export { configErrors } from './errors.js';
export {
  cloudDefaults,
  edgeDefaults,
  DEFAULT_PORTS,
  DEFAULT_MAPPER_MQTT_URL,
  DEFAULT_CLOUD_API_URL,
  DEFAULT_EDGE_API_URL,
} from './defaults.js';
