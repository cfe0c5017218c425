export { EventBus, type EventBusDeps } from './module.js';
export {
  BrokerAccess,
  MAPPER_USER,
  type AnonymousAccess,
  type BrokerAccessConfig,
  type BrokerUser,
} from './broker-access.js';
export { ingressFilters, isIngressTopic } from './topics.js';
export { eventbusErrors } from './errors.js';
export type { BrokerLink, Ingest } from './link.js';
export { mapperPassword, mapperPasswordFile } from './mapper-password.js';
export { deviceDataReadings } from './device-data.js';
