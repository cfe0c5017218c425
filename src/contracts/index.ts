export { edgeTopics, edgeFilters, cloudTopics, parseDeviceTopic } from './topics.js';
export * from './payloads.js';
export { MapperDeviceSetSchema, type MapperDeviceSet } from './mapper-set.js';
export { MAPPER_NODE_FLAGS } from './mapper-process.js';
export * from './twin-values.js';
export * from './link.js';
export * from './telemetry-columns.js';
export * from './edge-bus.js';
export * from './cloud-bus.js';
