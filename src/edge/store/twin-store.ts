import type { Statement } from 'better-sqlite3';
import type { DbHandle } from './db.js';
import type { DeviceStateRecord, TwinRecord, TwinStore } from './types.js';

/** A reported value packed small for the journal (SD card writes): [value, quality, ts, version, reason?]. */
type Packed = [string, NonNullable<TwinRecord['reported']>['quality'], number, number, string?];

function unpack(p: Packed): NonNullable<TwinRecord['reported']> {
  const r: NonNullable<TwinRecord['reported']> = { value: p[0], quality: p[1], ts: p[2], version: p[3] };
  if (typeof p[4] === 'string') r.reason = p[4];
  return r;
}

/** Strings JSON writes as they are, in quotes: what twin values nearly always are (numbers, words). */
const PLAIN = /^[\w.+\- ]*$/;
/** Property names kept escaped: they repeat in every row. Past this many, the cache starts over. */
const MAX_KEYS = 10_000;

/**
 * The journal row's JSON, `{"<property>":[value, quality, ts, version, reason?], ...}`, of the reported
 * values of `properties` (those without one are left out; '' when none has one), written by hand
 * straight from the twin records: this runs for every reading (10,000 a second in the benchmark),
 * and JSON.stringify of packed arrays cost twice as much, an intermediate object another third.
 * Property names are escaped once (`keys`); a value that needs no escaping is only quoted (a
 * regex test costs a third of JSON.stringify); quality is one of four fixed words; ts and version
 * are integers, whose String() is their JSON.
 */
export function packJournal(
  properties: Iterable<string>,
  records: ReadonlyMap<string, TwinRecord>,
  keys: Map<string, string> = new Map(),
): string {
  let json = '';
  for (const p of properties) {
    const r = records.get(p)?.reported;
    if (!r) continue;
    let key = keys.get(p);
    if (key === undefined) {
      if (keys.size >= MAX_KEYS) keys.clear();
      keys.set(p, (key = JSON.stringify(p)));
    }
    const value = PLAIN.test(r.value) ? `"${r.value}"` : JSON.stringify(r.value);
    const reason = r.reason === undefined ? '' : `,${JSON.stringify(r.reason)}`;
    json += `${json === '' ? '{' : ','}${key}:[${value},"${r.quality}",${r.ts},${r.version}${reason}]`;
  }
  return json === '' ? '' : `${json}}`;
}

/** Twin rows (one JSON record per device+property), the reported-value journal, device states. */
export class SqliteTwinStore implements TwinStore {
  private stmts:
    | Record<
        'put' | 'all' | 'delTwin' | 'delState' | 'putState' | 'states' | 'log' | 'logAll' | 'logClear' | 'logDel',
        Statement
      >
    | undefined;
  private readonly journalKeys = new Map<string, string>();

  constructor(private readonly handle: DbHandle) {}

  loadAll(): Map<string, Map<string, TwinRecord>> {
    const out = new Map<string, Map<string, TwinRecord>>();
    for (const row of this.prepare().all.all() as Array<{ device: string; property: string; record: string }>) {
      let props = out.get(row.device);
      if (!props) out.set(row.device, (props = new Map()));
      props.set(row.property, JSON.parse(row.record) as TwinRecord);
    }
    for (const row of this.prepare().logAll.all() as Array<{ device: string; reported: string }>) {
      let props = out.get(row.device);
      if (!props) out.set(row.device, (props = new Map()));
      for (const [property, packed] of Object.entries(JSON.parse(row.reported) as Record<string, Packed>)) {
        const reported = unpack(packed);
        const rec = props.get(property) ?? { cloudVersion: 0, edgeVersion: 0 };
        if (!rec.reported || rec.reported.version < reported.version) rec.reported = reported;
        props.set(property, rec);
      }
    }
    return out;
  }

  appendReported(deviceId: string, properties: Iterable<string>, records: ReadonlyMap<string, TwinRecord>): boolean {
    const row = packJournal(properties, records, this.journalKeys);
    if (row === '') return false;
    this.prepare().log.run(deviceId, row);
    return true;
  }

  checkpoint(rows: Array<{ deviceId: string; property: string; record: TwinRecord }>): void {
    const s = this.prepare();
    for (const r of rows) s.put.run(r.deviceId, r.property, JSON.stringify(r.record));
    s.logClear.run();
  }

  put(deviceId: string, property: string, record: TwinRecord): void {
    this.prepare().put.run(deviceId, property, JSON.stringify(record));
  }

  deleteDevice(deviceId: string): void {
    const s = this.prepare();
    s.delTwin.run(deviceId);
    s.delState.run(deviceId);
    s.logDel.run(deviceId);
  }

  putState(deviceId: string, state: DeviceStateRecord): void {
    this.prepare().putState.run(deviceId, state.state, state.reason ?? null, state.ts);
  }

  loadStates(): Map<string, DeviceStateRecord> {
    const rows = this.prepare().states.all() as Array<{
      device: string;
      state: string;
      reason: string | null;
      ts: number;
    }>;
    return new Map(
      rows.map((r) => [r.device, { state: r.state, ts: r.ts, ...(r.reason === null ? {} : { reason: r.reason }) }]),
    );
  }

  private prepare() {
    const db = this.handle.db;
    this.stmts ??= {
      put: db.prepare(
        'INSERT INTO twin (device, property, record) VALUES (?, ?, ?) ON CONFLICT (device, property) DO UPDATE SET record = excluded.record',
      ),
      all: db.prepare('SELECT device, property, record FROM twin'),
      delTwin: db.prepare('DELETE FROM twin WHERE device = ?'),
      delState: db.prepare('DELETE FROM device_state WHERE device = ?'),
      putState: db.prepare(
        'INSERT INTO device_state (device, state, reason, ts) VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET state = excluded.state, reason = excluded.reason, ts = excluded.ts',
      ),
      states: db.prepare('SELECT device, state, reason, ts FROM device_state'),
      log: db.prepare('INSERT INTO twin_reported_log (device, reported) VALUES (?, ?)'),
      logAll: db.prepare('SELECT device, reported FROM twin_reported_log ORDER BY id'),
      logClear: db.prepare('DELETE FROM twin_reported_log'),
      logDel: db.prepare('DELETE FROM twin_reported_log WHERE device = ?'),
    };
    return this.stmts;
  }

  reset(): void {
    this.stmts = undefined;
  }
}
