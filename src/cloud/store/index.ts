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
  PkiStateStore,
  StoredCa,
  StoredJoinToken,
  IssuedCertificate,
  TokenRefusal,
} from './types.js';
export { HANDLED_WINDOW, objectKey, sameSpec } from './types.js';
export { SqliteObjectStore, type SqliteStoreOptions } from './sqlite-store.js';
export { SqliteLinkState } from './link-state.js';
export { cloudStoreErrors } from './errors.js';
export { EtcdObjectStore, type EtcdStoreOptions } from './etcd-store.js';
export { EtcdLinkState } from './etcd-link-state.js';
export { EtcdPublishJournal } from './etcd-publish-journal.js';
export { SqlitePkiState } from './sqlite-pki-state.js';
export { EtcdPkiState } from './etcd-pki-state.js';
export { openCloudDatabase } from './db.js';
export type { KubeKind, KubernetesStoreOptions } from './kubernetes/index.js';

/**
 * The Kubernetes store, loaded on demand: @kubernetes/client-node takes about 2 s and 75 MB to
 * load, which a cloud on SQLite (and every test of one) should not pay.
 */
export async function openKubernetesStore(options: {
  kubeconfig?: string | undefined;
  env: NodeJS.ProcessEnv;
  onWatchError?: (kind: string, err: unknown, retryInMs?: number) => void;
  /** Kinds the cluster must serve (default: Device, DeviceModel, Node, Lease). */
  required?: string[];
}): Promise<import('./kubernetes/index.js').KubernetesObjectStore & { source: string; namespace: string | undefined }> {
  const { KubernetesObjectStore, loadKubeConfig } = await import('./kubernetes/index.js');
  const { kc, source } = loadKubeConfig({ kubeconfig: options.kubeconfig, env: options.env });
  const store = await KubernetesObjectStore.open({
    kubeConfig: kc,
    ...(options.onWatchError ? { onWatchError: options.onWatchError } : {}),
    ...(options.required ? { required: options.required } : {}),
  });
  // The current context's namespace: in a pod, the pod's own (client-node reads the service account's).
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
  return Object.assign(store, { source, namespace });
}
