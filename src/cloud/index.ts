export { createCloudNode, type CloudNode, type CloudNodeDeps } from './node.js';
export type { ObjectStore, StoredObject, WatchEvent, LinkStateStore } from './store/index.js';
export type { LeaderElection, LeaderWork } from './leader/index.js';
export { SoleLeader, EtcdLeaderElection } from './leader/index.js';
