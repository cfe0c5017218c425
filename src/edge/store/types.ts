import type { Message } from '../../core/message/index.js';
import type { DesiredSource, DesiredValue, FailedValue, ReportedValue } from '../../contracts/index.js';
import type { PipelineSnapshot } from '../../pipeline/index.js';

/** Objects from the cloud or applied locally (KubeEdge's `meta` table: key, type, value). */
export interface MetaRecord {
  type: string;
  key: string;
  value: unknown;
  resourceVersion: number;
}

export interface MetaStore {
  /** Stores `value`; returns the new resource version (unchanged when the value is identical). */
  put(
    type: string,
    key: string,
    value: unknown,
    resourceVersion?: number,
  ): { resourceVersion: number; changed: boolean; created: boolean };
  get(type: string, key: string): MetaRecord | undefined;
  list(type: string): MetaRecord[];
  delete(type: string, key: string): boolean;
}

/** One property's twin as stored. */
export interface TwinRecord {
  desired?: DesiredValue & { source: DesiredSource };
  reported?: ReportedValue;
  /** A desired value sent to the device and not yet confirmed. */
  pending?: { value: string; since: number; deadline: number };
  failed?: FailedValue;
  /** Versions split by who changed the desired value (KubeEdge's expected_version). */
  cloudVersion: number;
  edgeVersion: number;
  /** The Device spec's desired.value last applied, so that re-applying the same spec changes nothing. */
  specDesired?: string;
  /**
   * A twin for a property the DeviceModel lacks (KubeEdge's optional twin), its type as the twin
   * message named it (int, float, boolean, string, ...); deleted with null, kept as KubeEdge keeps
   * a deleted twin until it is set again.
   */
  optional?: { type: string; deleted?: boolean };
}

export interface DeviceStateRecord {
  state: string;
  reason?: string;
  ts: number;
}

/**
 * Twin rows, plus a journal for reported values: a new reported value is appended (cheap,
 * sequential) and the rows are rewritten only at a checkpoint, which also empties the journal.
 * `loadAll` applies journal entries newer (by reported version) than their row.
 */
export interface TwinStore {
  loadAll(): Map<string, Map<string, TwinRecord>>;
  put(deviceId: string, property: string, record: TwinRecord): void;
  /**
   * One journal row per device and batch: the reported values of `properties` as `records` hold
   * them (properties without one are skipped). False when there was nothing to write.
   */
  appendReported(deviceId: string, properties: Iterable<string>, records: ReadonlyMap<string, TwinRecord>): boolean;
  /** Writes `rows` and empties the journal (in the caller's transaction). */
  checkpoint(rows: Array<{ deviceId: string; property: string; record: TwinRecord }>): void;
  deleteDevice(deviceId: string): void;
  putState(deviceId: string, state: DeviceStateRecord): void;
  loadStates(): Map<string, DeviceStateRecord>;
}

export interface PipelineStateStore {
  /** Replaces every stored snapshot with `snapshots` (keys `deviceId/property`). */
  saveAll(snapshots: Record<string, PipelineSnapshot>): void;
  loadAll(): Record<string, unknown>;
  delete(keys: string[]): void;
}

export type OutboxKind = 'reading' | 'twin' | 'state' | 'status';

export interface OutboxEntryInput {
  kind: OutboxKind;
  /** The device id (or mapper name for status). */
  key: string;
  message: Message;
  /** How many readings a `reading` entry carries (drops are counted per reading); default 0. */
  readings?: number;
}

export interface OutboxEntry extends OutboxEntryInput {
  id: number;
  bytes: number;
  ts: number;
  /** `message.header.msg_id`, without parsing the message. */
  msgId: string;
  /** The message as stored (`JSON.stringify(message)`), so a sender need not serialize it again. */
  body?: string;
}

/** Why entries were dropped: the outbox's own size or age bound, or a full disk (docs: src/edge/README.md). */
export type DropCause = 'size' | 'age' | 'disk';

export interface OutboxStats {
  count: number;
  bytes: number;
  oldestTs: number | undefined;
  /** Entries dropped since start, by cause (`bySize`, `byAge`, `byDisk`), and the readings they carried. */
  dropped: { bySize: number; byAge: number; byDisk: number; readings: number };
}

export interface OutboxBounds {
  maxBytes: number;
  maxAgeMs: number;
}

/**
 * The persistent queue of the cloud link. Global id order is send order, which keeps each
 * device's order. Only `reading` and `status` entries are ever dropped (oldest first) to respect
 * the bounds; `twin` and `state` entries stay until acknowledged, and their writers fold an
 * unacknowledged one into the next (`takeLatest`), so there is at most one of each per device
 * however long the cloud is away.
 */
export interface OutboxStore {
  append(entries: OutboxEntryInput[]): number[];
  /** Oldest first; at most `limit` entries and `maxBytes` bytes, but always the first one. */
  peek(limit: number, maxBytes: number): OutboxEntry[];
  /**
   * Like `peek`, but only entries with an id above `afterId`: a sender with entries in flight
   * reads on from the last one it sent instead of re-reading (and parsing) those again.
   */
  peekAfter(afterId: number, limit: number, maxBytes: number): OutboxEntry[];
  ack(ids: number[]): number;
  /**
   * Removes and returns the newest entry of `kind` for `key`, for a writer that replaces state
   * with newer state (a twin report, a device state). An entry already sent is removed too: its
   * content goes out again in the newer one, and its late acknowledgement finds nothing to delete.
   */
  takeLatest(kind: 'twin' | 'state', key: string): OutboxEntry | undefined;
  /**
   * Drops the oldest `reading` and `status` entries until at least `bytes` are freed (or none is
   * left), counted with cause `disk`; for a full disk, in its own transaction. Returns the bytes freed.
   */
  makeRoom(bytes: number): number;
  stats(): OutboxStats;
}
