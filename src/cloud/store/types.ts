import type { JournalPacket } from '../../contracts/index.js';

/**
 * The cloud's object store, shaped like the Kubernetes API (get/list/watch with resource
 * versions, optimistic concurrency, a status sub-resource) so that a Kubernetes-backed
 * implementation can replace the embedded SQLite one without touching its users.
 */
export interface StoredMeta {
  name: string;
  /** Empty string for cluster-scoped kinds (Node). */
  namespace?: string;
  /** Decimal string of the store's global counter at the object's last write. */
  resourceVersion?: string;
  /** Increments on every write except status writes (as Kubernetes does with a status sub-resource). */
  generation?: number;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface StoredObject {
  apiVersion?: string;
  kind: string;
  metadata: StoredMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends StoredObject = StoredObject> {
  type: WatchEventType;
  /** For DELETED: the object as it was, with the deletion's resourceVersion. */
  object: T;
}

export interface ListOptions {
  namespace?: string;
  /** Equality-based selector: `a=b,c!=d,e` (`e`: the label exists, `!e`: it does not). */
  labelSelector?: string;
}

export interface ListResult<T extends StoredObject = StoredObject> {
  items: T[];
  /** The store's version when the list was read: watch from here to miss nothing. */
  resourceVersion: string;
}

export interface WatchHandle {
  stop(): void;
}

export interface ObjectStore {
  /**
   * The store keeps objects of this kind. The embedded store keeps any kind; a Kubernetes
   * cluster serves only the resources installed in it (DeviceStatus came with KubeEdge v1.23).
   */
  serves(kind: string): boolean;
  get(kind: string, namespace: string, name: string): Promise<StoredObject | undefined>;
  list(kind: string, options?: ListOptions): Promise<ListResult>;
  /** Fails with KEDGE_CLOUD_STORE_EXISTS when the object exists. */
  create(object: StoredObject): Promise<StoredObject>;
  /**
   * Replaces metadata (labels, annotations) and spec; status is kept (status sub-resource).
   * With `metadata.resourceVersion` set, fails with KEDGE_CLOUD_STORE_CONFLICT unless it is current.
   */
  update(object: StoredObject): Promise<StoredObject>;
  /** Replaces status only; `expectedVersion` as in update. */
  updateStatus(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    expectedVersion?: string,
  ): Promise<StoredObject>;
  /** Returns the deleted object, undefined when there was none. */
  delete(kind: string, namespace: string, name: string, expectedVersion?: string): Promise<StoredObject | undefined>;
  /**
   * Delivers every change of `kind` after `fromVersion`, in version order, then live ones.
   * Fails with KEDGE_CLOUD_STORE_EXPIRED when `fromVersion` is older than the kept history.
   */
  watch(kind: string, fromVersion: string, handler: (event: WatchEvent) => void): Promise<WatchHandle>;
  close(): Promise<void>;
}

/**
 * Handled message ids remembered per node, in the link state and in CloudHub's memory. A re-sent
 * message is one whose ack was lost; the edge keeps at most its window (256) unacknowledged, so a
 * resend is never more than that many messages old: 8x that is ample, and keeps memory per node
 * near 200 KB.
 */
export const HANDLED_WINDOW = 2048;

/**
 * The link's bookkeeping (KubeEdge's ObjectSync and the dedupe window). Kept apart from the
 * object store: the Kubernetes implementation may keep it in CRDs or in a local file. Every
 * method is asynchronous: with cloud replicas it lives in etcd, shared by all of them.
 */
export interface LinkStateStore {
  /** Per node and object key, the sync token the edge acknowledged. */
  ackedObjects(node: string): Promise<Map<string, string>>;
  setAcked(node: string, key: string, token: string): Promise<void>;
  removeAcked(node: string, key: string): Promise<void>;
  /** The msg_ids handled per node, oldest first (at most about the window size). */
  handledIds(node: string): Promise<string[]>;
  /**
   * Records handled ids (durably when it resolves); trims each node's window to its bound. A
   * handler claims a message with it right before its effects become visible (docs/link.md,
   * "Duplicates across a cloud crash").
   */
  addHandled(entries: Array<{ node: string; id: string }>): Promise<void>;
  /** Forgets a handled id (its handling failed after it was claimed: the resend must be handled). */
  removeHandled(node: string, id: string): Promise<void>;
  /** The id of the edge store the node's acknowledgements belong to; undefined before its first. */
  storeOf(node: string): Promise<string | undefined>;
  /**
   * The node connected with another store than the one it acknowledged objects in (a new, wiped
   * or replaced edge.db): forgets every object it acknowledged and records `storeId`, atomically.
   */
  resetNode(node: string, storeId: string): Promise<void>;
}

/**
 * The same object with the same spec generation: a change of its status only (Kubernetes bumps
 * `generation` on spec changes, not on status writes). Controllers skip such events.
 */
export function sameSpec(prev: StoredObject | undefined, next: StoredObject | undefined): boolean {
  if (!prev || !next || prev.metadata.uid !== next.metadata.uid) return false;
  // Kinds without a generation (core/v1 Pods before Kubernetes 1.33): the spec itself.
  if (prev.metadata.generation === undefined && next.metadata.generation === undefined)
    return JSON.stringify(prev.spec) === JSON.stringify(next.spec);
  return prev.metadata.generation === next.metadata.generation;
}

export function objectKey(o: { kind: string; metadata: { namespace?: string | undefined; name: string } }): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** One QoS 2 publish of a message, as the journal keeps it until the broker completed it (a schema in contracts). */
export type { JournalPacket };

/** A message's publishes in a session, as an adopter finds them. */
export interface JournalRecord {
  node: string;
  msgId: string;
  packets: Array<JournalPacket & { released: boolean }>;
}

/**
 * The QoS 2 state of the cloud's MQTT sessions, kept where every replica can read it, so that
 * a reading is published exactly once across a replica's crash (src/cloud/cloudmqtt/once.ts).
 * `begin` marks the edge message handled and records its packets in one atomic write: from then
 * on the message belongs to the session. `released` is written before each PUBREL. A replica
 * that finds a dead replica's session resumes it at the broker and completes its records: PUBREL
 * for released packets (the broker answers a repeat with PUBCOMP and delivers nothing again),
 * PUBLISH with the same packet id for the others (the broker holds them until PUBREL).
 */
export interface PublishJournal {
  begin(session: string, node: string, msgId: string, packets: JournalPacket[]): Promise<void>;
  released(session: string, node: string, msgId: string, mid: number): Promise<void>;
  end(session: string, node: string, msgId: string): Promise<void>;
  /** Sessions that have records. */
  sessions(): Promise<string[]>;
  records(session: string): Promise<JournalRecord[]>;
  /** Drops every record of a session (after an adopter completed them). */
  clear(session: string): Promise<void>;
}

/** Why a join token was not taken (the client hears only "invalid"; the log and the metric hear this). */
export type TokenRefusal = 'unknown' | 'wrong_secret' | 'expired' | 'used_up';

/** A join token as stored: its secret only as a SHA-256 (hex), so the store does not let anyone join. */
export interface StoredJoinToken {
  id: string;
  secretSha256: string;
  expiresAt: number;
  /** Joins it still allows. */
  usesLeft: number;
  description?: string | undefined;
  createdAt: number;
}

/** A node certificate the CA issued (serial in upper-case hex without leading zeros). */
export interface IssuedCertificate {
  serial: string;
  node: string;
  issuedAt: number;
  notAfter: number;
}

/** The CA as stored: certificate and private key in PEM. */
export interface StoredCa {
  certPem: string;
  keyPem: string;
  /** Where it is kept, for the log. */
  source: string;
}

/**
 * The CA's state (docs/link.md, "Joining"), kept in the cloud store so that every replica sees
 * the same: the CA itself (unless the user supplies one), join tokens with their uses left,
 * issued certificates and revocations. A token used on one replica is used on all; a node
 * revoked through one replica is refused by all, and its connection to any replica is closed.
 * SQLite: `<data-dir>/pki/` (pki.db, ca.crt, ca.key); etcd: `<prefix>pki/`; Kubernetes: a Secret
 * for the CA (as KubeEdge's cloudcore keeps its `casecret`) and objects for the rest.
 */
export interface PkiStateStore {
  /**
   * The stored CA; when there is none, `create()`'s, stored, unless another replica stored one
   * meanwhile: then that one (every replica ends up with the same).
   */
  sharedCa(create: () => Promise<Omit<StoredCa, 'source'>>): Promise<StoredCa>;
  /** Fails when the id exists. */
  addToken(token: StoredJoinToken): Promise<void>;
  /**
   * Checks the token and takes one of its uses in one atomic step: of two joins racing for the
   * last use (on two replicas), one gets it. Undefined when taken, else why not.
   */
  useToken(id: string, secretSha256: string, now: number): Promise<TokenRefusal | undefined>;
  recordCertificate(cert: IssuedCertificate): Promise<void>;
  /** The node's newest certificate that is neither revoked nor expired at `now`. */
  activeCertificate(node: string, now: number): Promise<{ serial: string; notAfter: number } | undefined>;
  /** Revokes every certificate of the node neither revoked nor expired yet; answers their serials. */
  revokeNode(node: string, now: number): Promise<string[]>;
  /**
   * The serials revoked and not expired at `now`, then every later revocation, by any replica,
   * as it happens (`handler` with the node's name and its serials) until `stop()`.
   */
  watchRevocations(
    now: number,
    handler: (node: string, serials: string[]) => void,
  ): Promise<{ revoked: string[]; stop(): void }>;
}
