export type {
  ObjectStore,
  StoredObject,
  StoredMeta,
  WatchEvent,
  WatchEventType,
  WatchHandle,
  ListOptions,
  ListResult,
  LinkStateStore,
  PublishJournal,
  JournalPacket,
  JournalRecord,
} from './types.js';
export { HANDLED_WINDOW, objectKey, sameSpec } from './types.js';
export { SqliteObjectStore, type SqliteStoreOptions } from './sqlite-store.js';
export { SqliteLinkState } from './link-state.js';
export { cloudStoreErrors } from './errors.js';
export { EtcdObjectStore, type EtcdStoreOptions } from './etcd-store.js';
export { EtcdLinkState } from './etcd-link-state.js';
export { EtcdPublishJournal } from './etcd-publish-journal.js';
