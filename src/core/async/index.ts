export { Backoff, type BackoffOptions } from './backoff.js';
export { KeyedChain } from './keyed-chain.js';
export { Waiters } from './waiters.js';
export { withTimeout } from './with-timeout.js';
