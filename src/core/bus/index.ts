export { Bus, type ChannelMap, type RequestMap, type Endpoint, type BusOptions } from './bus.js';
export { busErrors } from './errors.js';
