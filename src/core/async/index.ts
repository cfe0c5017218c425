export { Backoff, type BackoffOptions } from './backoff.js';
export { GroupCommit, type GroupCommitOptions } from './group-commit.js';
export { KeyedChain } from './keyed-chain.js';
export { Waiters } from './waiters.js';
export { withTimeout } from './with-timeout.js';
