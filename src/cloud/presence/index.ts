export type { NodePresence } from './types.js';
export { LocalPresence } from './local-presence.js';
export { EtcdPresence, type EtcdPresenceOptions } from './etcd-presence.js';
export { LeasePresence, type LeasePresenceOptions } from './lease-presence.js';
