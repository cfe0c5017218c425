export { EventBus, type EventBusDeps } from './module.js';
export { ingressFilters, isIngressTopic } from './topics.js';
export { eventbusErrors } from './errors.js';
export type { BrokerLink, Ingest } from './link.js';
export { deviceDataReadings } from './device-data.js';
