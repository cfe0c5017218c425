export { createCloudNode, type CloudNode, type CloudNodeDeps } from './node.js';
export type { ObjectStore, StoredObject, WatchEvent, LinkStateStore } from './store/index.js';
