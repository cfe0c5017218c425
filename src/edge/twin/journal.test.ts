/**
 * The twin journal coalesced (edge.twinJournalMs, issue 19): reported values reach the journal at
 * most that often, all devices in one commit, and a checkpoint or stop writes what was held back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { DbHandle, SqliteOutboxStore, SqliteTwinStore, WriteBatcher, type TwinRecord } from '../store/index.js';
import { TwinBook, type DeviceTwin } from './book.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(journalMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-journal-'));
  dirs.push(dir);
  const clock = new ManualClock(1_000_000);
  const handle = new DbHandle(join(dir, 'edge.db'));
  handle.open();
  const store = new SqliteTwinStore(handle);
  const outbox = new SqliteOutboxStore(handle, { clock });
  const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50, idleMs: 0 });
  batcher.start();
  const book = new TwinBook({ store, outbox, batcher, clock, node: 'n', reportIntervalMs: 60_000, journalMs });
  batcher.register(book);
  for (const id of ['default/a', 'default/b'])
    book.twins.set(id, {
      records: new Map(),
      props: new Map(),
      state: { state: 'online', ts: 0 },
    } as unknown as DeviceTwin);
  let version = 0;
  const read = (deviceId: string, value: number) => {
    const reported = { value: String(value), quality: 'good' as const, ts: clock.now(), version: ++version };
    const rec: TwinRecord = book.twins.get(deviceId)!.records.get('p') ?? { cloudVersion: 0, edgeVersion: 0 };
    rec.reported = reported;
    book.twins.get(deviceId)!.records.set('p', rec);
    book.noteReported(deviceId, 'p', reported);
    book.marked(1);
  };
  const journalRows = () => (handle.db.prepare('SELECT COUNT(*) AS n FROM twin_reported_log').get() as { n: number }).n;
  const persisted = (deviceId: string) => {
    const again = new SqliteTwinStore(handle).loadAll();
    return again.get(deviceId)?.get('p')?.reported?.value;
  };
  return { clock, handle, batcher, book, read, journalRows, persisted };
}

describe('the twin journal with edge.twinJournalMs', () => {
  it('journals all devices once per interval, the newest values, in one commit', () => {
    const { clock, batcher, read, journalRows, persisted, handle } = setup(10_000);
    read('default/a', 1);
    read('default/b', 1);
    clock.advance(50); // first commit: journaled at once
    expect(journalRows()).toBe(2);
    for (let s = 2; s <= 9; s++) {
      read('default/a', s);
      read('default/b', s);
      clock.advance(1000); // commits of the readings (telemetry), no journal rows
    }
    expect(journalRows()).toBe(2);
    expect(persisted('default/a')).toBe('1'); // a crash now: the twin is this much behind
    clock.advance(2000); // 10 s since the first journal
    read('default/a', 10);
    clock.advance(50);
    expect(journalRows()).toBe(4); // both devices, in the commit after the interval
    expect(persisted('default/a')).toBe('10');
    expect(persisted('default/b')).toBe('9');
    expect(batcher.stats.failures).toBe(0);
    handle.close();
  });

  it('writes held-back values with the checkpoint (as on stop)', () => {
    const { clock, batcher, book, read, journalRows, persisted, handle } = setup(10_000);
    read('default/a', 1);
    clock.advance(50);
    read('default/a', 2);
    clock.advance(50);
    expect(persisted('default/a')).toBe('1');
    book.requestCheckpoint();
    batcher.flushNow();
    expect(persisted('default/a')).toBe('2');
    expect(journalRows()).toBe(0); // folded into the twin rows
    handle.close();
  });

  it('with 0 journals every commit, as before', () => {
    const { clock, read, journalRows, persisted, handle } = setup(0);
    for (let s = 1; s <= 3; s++) {
      read('default/a', s);
      clock.advance(50);
    }
    expect(journalRows()).toBe(3);
    expect(persisted('default/a')).toBe('3');
    handle.close();
  });
});
