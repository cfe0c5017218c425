export type { LeaderElection, LeaderWork } from './types.js';
export { LeaderWorkSet } from './work-set.js';
export { SoleLeader } from './sole-leader.js';
export { EtcdLeaderElection, type EtcdLeaderElectionOptions } from './etcd-election.js';
export { LeaseLeaderElection, type LeaseLeaderElectionOptions } from './lease-election.js';
