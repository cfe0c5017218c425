export { createEdgeHub, EdgeHub, hubUrl, hubUrls, type EdgeHubDeps } from './edgehub.js';
export { OutboxSender, DEFAULT_SENDER, type SenderOptions } from './sender.js';
export { Backoff, DEFAULT_BACKOFF } from './backoff.js';
export { edgehubErrors } from './errors.js';
export { edgeHubModules } from './modules.js';
