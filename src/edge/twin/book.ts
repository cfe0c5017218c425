import {
  LinkResource,
  type DeviceStateContent,
  type EdgeDevice,
  type TwinReportContent,
} from '../../contracts/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { PropertyInstance } from '../../model/index.js';
import { linkMessage } from '../shared/index.js';
import type {
  DeviceStateRecord,
  OutboxEntry,
  OutboxEntryInput,
  OutboxStore,
  TwinRecord,
  TwinStore,
  WriteBatcher,
} from '../store/index.js';

export interface DeviceTwin {
  device: EdgeDevice;
  props: Map<string, PropertyInstance>;
  records: Map<string, TwinRecord>;
  state: DeviceStateRecord;
}

type ReportProps = TwinReportContent['properties'];

/**
 * The twins in memory (the source of truth while running) with their write-behind: changed rows
 * and reports for the cloud are buffered and written by the batcher's next transaction. Reports of
 * reported values only are coalesced per device and sent at most every `reportIntervalMs`; desired
 * values, confirmations and failures go with the next batch.
 */
export class TwinBook {
  readonly twins = new Map<string, DeviceTwin>();
  private dirty = new Map<string, Set<string>>();
  /** Properties whose new reported value goes to the journal only. */
  private dirtyReported = new Map<string, Set<string>>();
  /** Journaled since the last checkpoint: rewritten into `twin` at the next one. */
  private journaled = new Map<string, Set<string>>();
  /** When reported values were last journaled (see `journalMs`). */
  private lastJournalAt = -Infinity;
  private checkpointDue = false;
  private dirtyStates = new Set<string>();
  private reports = new Map<string, { props: ReportProps; urgent: boolean }>();
  private states = new Map<string, DeviceStateContent>();
  private readonly lastReport = new Map<string, number>();

  constructor(
    private readonly deps: {
      store: TwinStore;
      outbox: OutboxStore;
      batcher: WriteBatcher;
      clock: Clock;
      node: string;
      reportIntervalMs: number;
      /**
       * New reported values are journaled at most this often (edge.twinJournalMs; 0: with every
       * commit), all devices' in one commit: between, they are kept in memory and the newest are
       * journaled when the time is up, folded by a checkpoint, or written on stop. After a crash
       * (kill -9, power cut) a twin's reported values can be this much older than the last reading
       * acknowledged. Telemetry is not coalesced: every acknowledged reading of a `reportToCloud`
       * property is in the outbox. (Each commit rewrites the journal's last page whole: devices
       * journaled in commits of their own cost a page each time.)
       */
      journalMs?: number;
    },
  ) {}

  /** A change to persist as the whole twin row (a new reported value alone goes through noteReported). */
  touch(deviceId: string, property: string): void {
    let set = this.dirty.get(deviceId);
    if (!set) this.dirty.set(deviceId, (set = new Set()));
    if (set.has(property)) return;
    set.add(property);
    this.deps.batcher.mark();
  }

  /** Asks the next batch to fold the journal into the twin rows. */
  requestCheckpoint(): void {
    if (this.journaled.size === 0 && this.dirtyReported.size === 0) return;
    this.checkpointDue = true;
    this.deps.batcher.mark();
  }

  touchState(deviceId: string, report: boolean): void {
    this.dirtyStates.add(deviceId);
    const twin = this.twins.get(deviceId);
    if (report && twin)
      this.states.set(deviceId, {
        state: twin.state.state as DeviceStateContent['state'],
        ts: twin.state.ts,
        ...(twin.state.reason ? { reason: twin.state.reason } : {}),
      });
    this.deps.batcher.mark();
  }

  /**
   * A property's new reported value, the hot path (every reading): journaled, and folded into the
   * device's coalesced report. Unlike touch() and report() it does not mark the batcher: the
   * caller marks once for a whole message of readings (marking reads the clock).
   */
  noteReported(deviceId: string, property: string, reported: NonNullable<TwinRecord['reported']>): void {
    let set = this.dirtyReported.get(deviceId);
    if (!set) this.dirtyReported.set(deviceId, (set = new Set()));
    set.add(property);
    let entry = this.reports.get(deviceId);
    if (!entry) this.reports.set(deviceId, (entry = { props: {}, urgent: false }));
    const part = entry.props[property];
    // The part is this book's own object until the report is sent (report() replaces, never shares).
    if (part) part.reported = reported;
    else entry.props[property] = { reported };
  }

  /** Notes `n` buffered writes made through noteReported. */
  marked(n: number): void {
    if (n > 0) this.deps.batcher.mark(n);
  }

  report(deviceId: string, property: string, part: ReportProps[string], urgent: boolean): void {
    let entry = this.reports.get(deviceId);
    if (!entry) this.reports.set(deviceId, (entry = { props: {}, urgent: false }));
    entry.props[property] = { ...entry.props[property], ...part };
    entry.urgent ||= urgent;
    this.deps.batcher.mark();
  }

  /** Reports waiting for their interval (the module's timer calls this to get them flushed). */
  get waitingReports(): number {
    return this.reports.size;
  }

  /** Reported values held back by `journalMs` whose time is up (the module's timer then asks for a batch). */
  journalDue(now: number): boolean {
    return this.dirtyReported.size > 0 && now - this.lastJournalAt >= (this.deps.journalMs ?? 0);
  }

  /** What the last flush took, given back if its transaction fails (references, no copies). */
  private taken:
    | {
        dirty: Map<string, Set<string>>;
        dirtyReported: Map<string, Set<string>>;
        journaled: Map<string, Set<string>>;
        checkpointDue: boolean;
        lastJournalAt: number;
        dirtyStates: Set<string>;
        states: Map<string, DeviceStateContent>;
        reports: Array<[string, { props: ReportProps; urgent: boolean }, number | undefined]>;
      }
    | undefined;

  /**
   * The transaction of the last flush rolled back: everything it took is buffered again. (Journal
   * entries it added to `journaled` stay: a checkpoint rewriting a row from memory is harmless.)
   */
  rollback(): void {
    const t = this.taken;
    if (!t) return;
    this.taken = undefined;
    this.dirty = t.dirty;
    this.dirtyReported = t.dirtyReported;
    this.journaled = t.journaled;
    this.checkpointDue = t.checkpointDue;
    this.lastJournalAt = t.lastJournalAt;
    this.dirtyStates = t.dirtyStates;
    this.states = t.states;
    for (const [deviceId, entry, last] of t.reports) {
      this.reports.set(deviceId, entry);
      if (last === undefined) this.lastReport.delete(deviceId);
      else this.lastReport.set(deviceId, last);
    }
  }

  /** Runs inside the batcher's transaction. */
  flush(): void {
    const { store, outbox, clock, node } = this.deps;
    const taken: NonNullable<typeof this.taken> = {
      dirty: this.dirty,
      dirtyReported: this.dirtyReported,
      journaled: this.journaled,
      checkpointDue: this.checkpointDue,
      lastJournalAt: this.lastJournalAt,
      dirtyStates: this.dirtyStates,
      states: this.states,
      reports: [],
    };
    this.taken = taken;
    for (const [deviceId, props] of this.dirty) {
      const twin = this.twins.get(deviceId);
      if (!twin) continue;
      for (const p of props) {
        const rec = twin.records.get(p);
        if (rec) store.put(deviceId, p, rec);
      }
    }
    this.dirty = new Map();
    this.dirtyReported = this.journal();
    if (this.checkpointDue) this.checkpoint();
    for (const deviceId of this.dirtyStates) {
      const twin = this.twins.get(deviceId);
      if (twin) store.putState(deviceId, twin.state);
    }
    this.dirtyStates = new Set();
    const now = clock.now();
    const entries: OutboxEntryInput[] = [];
    for (const [deviceId, entry] of this.reports) {
      if (!entry.urgent && now - (this.lastReport.get(deviceId) ?? -Infinity) < this.deps.reportIntervalMs) continue;
      taken.reports.push([deviceId, entry, this.lastReport.get(deviceId)]);
      this.reports.delete(deviceId);
      this.lastReport.set(deviceId, now);
      const content: TwinReportContent = { properties: foldInto(outbox.takeLatest('twin', deviceId), entry.props) };
      entries.push({
        kind: 'twin',
        key: deviceId,
        message: linkMessage(node, deviceId, LinkResource.deviceTwin, 'update', 'twin', content, now),
      });
    }
    for (const [deviceId, content] of this.states) {
      outbox.takeLatest('state', deviceId); // only the newest state matters
      entries.push({
        kind: 'state',
        key: deviceId,
        message: linkMessage(node, deviceId, LinkResource.deviceState, 'update', 'twin', content, now),
      });
    }
    this.states = new Map();
    if (entries.length > 0) outbox.append(entries);
  }

  /**
   * Journals the new reported values when `journalMs` is up (always when it is 0); a checkpoint
   * due in this batch takes them as they are (it rewrites their rows from memory). Answers what is
   * held back for a later batch.
   */
  private journal(): Map<string, Set<string>> {
    const { store, clock } = this.deps;
    const now = clock.now();
    if (!this.checkpointDue && !this.journalDue(now)) return this.dirtyReported;
    if (this.dirtyReported.size > 0) this.lastJournalAt = now;
    for (const [deviceId, props] of this.dirtyReported) {
      const twin = this.twins.get(deviceId);
      if (!twin) continue;
      if (!this.checkpointDue && !store.appendReported(deviceId, props, twin.records)) continue;
      const journaled = this.journaled.get(deviceId);
      // The checkpoint rewrites the journaled properties' rows; a property without a reported value has no journal entry to fold, and rewriting its row is harmless.
      if (journaled) for (const p of props) journaled.add(p);
      else this.journaled.set(deviceId, props);
    }
    return new Map();
  }

  private checkpoint(): void {
    const rows: Array<{ deviceId: string; property: string; record: TwinRecord }> = [];
    for (const [deviceId, props] of this.journaled) {
      const twin = this.twins.get(deviceId);
      for (const p of props) {
        const record = twin?.records.get(p);
        if (record) rows.push({ deviceId, property: p, record });
      }
    }
    this.deps.store.checkpoint(rows);
    this.journaled = new Map();
    this.checkpointDue = false;
  }

  forget(deviceId: string): void {
    this.twins.delete(deviceId);
    this.dirty.delete(deviceId);
    this.dirtyReported.delete(deviceId);
    this.journaled.delete(deviceId);
    this.reports.delete(deviceId);
    this.states.delete(deviceId);
    this.dirtyStates.delete(deviceId);
    this.deps.store.deleteDevice(deviceId);
  }
}

/**
 * A twin report not yet acknowledged is folded into the next one (newer values win, property by
 * property), so an outage leaves one twin entry per device in the outbox instead of one per
 * report interval (a week offline at 100 devices would otherwise be ~6 million entries).
 */
function foldInto(older: OutboxEntry | undefined, props: ReportProps): ReportProps {
  if (!older) return props;
  const merged: ReportProps = { ...(older.message.content as TwinReportContent).properties };
  for (const [p, part] of Object.entries(props)) merged[p] = { ...merged[p], ...part };
  return merged;
}
