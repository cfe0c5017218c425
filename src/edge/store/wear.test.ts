/**
 * The store's SD card savings (issue 19) keep what the cloud link relies on: ids that only grow,
 * bodies read back as they were written, deletes of acknowledged entries that happen (later),
 * pipeline state that survives a reopen, and files of the old page size converted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { DbHandle, EDGE_PAGE_SIZE } from './db.js';
import { DeferredAckOutbox } from './deferred-acks.js';
import { migrations } from './migrations.js';
import { SqliteOutboxStore } from './outbox-store.js';
import { SqlitePipelineStateStore } from './pipeline-state-store.js';
import { WriteBatcher } from './write-batcher.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-wear-'));
  dirs.push(dir);
  return join(dir, 'edge.db');
}
const entry = (n: number, pad = 0) => ({
  kind: 'reading' as const,
  key: 'default/n',
  readings: 1,
  message: newMessage({ operation: 'upload' }, { n, pad: 'x'.repeat(pad) }, { id: `m-${n}` }),
});

describe('the outbox on an SD card', () => {
  it('hands out ids that only grow, also after the table was emptied, and across a reopen', () => {
    const f = file();
    let handle = new DbHandle(f);
    handle.open();
    let outbox = new SqliteOutboxStore(handle, { clock: new ManualClock(0) });
    const [a, b] = outbox.append([entry(1), entry(2)]);
    expect(outbox.peekAfter(0, 10, 1 << 20).map((e) => e.id)).toEqual([a, b]);
    outbox.ack([a!, b!]);
    const [c] = outbox.append([entry(3)]);
    expect(c).toBeGreaterThan(b!); // a sender that read on after b sees c
    handle.close();
    handle = new DbHandle(f);
    handle.open();
    outbox = new SqliteOutboxStore(handle, { clock: new ManualClock(0) });
    // The sender of the new process reads first, and deletes what the cloud acknowledges...
    expect(outbox.peekAfter(0, 10, 1 << 20).map((e) => e.id)).toEqual([c]);
    outbox.ack([c!]);
    // ...and must not be handed an id below the one it read on after.
    const [d] = outbox.append([entry(4)]);
    expect(d).toBeGreaterThan(c!);
    expect(outbox.peekAfter(c!, 10, 1 << 20).map((e) => (e.message.content as { n: number }).n)).toEqual([4]);
    handle.close();
  });

  it('stores a large body compressed and reads it back as the same JSON', () => {
    const handle = new DbHandle(file());
    handle.open();
    const outbox = new SqliteOutboxStore(handle, { clock: new ManualClock(0) });
    const big = entry(1, 20_000);
    outbox.append([big, entry(2)]);
    const rows = handle.db.prepare('SELECT body FROM outbox ORDER BY id').all() as Array<{ body: string | Buffer }>;
    expect(Buffer.isBuffer(rows[0]!.body)).toBe(true);
    expect((rows[0]!.body as Buffer).length).toBeLessThan(1000);
    expect(typeof rows[1]!.body).toBe('string'); // small: as it is
    const [read] = outbox.peek(1, 1 << 20);
    expect(read!.body).toBe(JSON.stringify(big.message));
    expect(read!.bytes).toBe(Buffer.byteLength(JSON.stringify(big.message))); // bounds count the JSON
    handle.close();
  });

  it('drops entries past the age bound from the oldest on, however many are younger', () => {
    const clock = new ManualClock(0);
    const handle = new DbHandle(file());
    handle.open();
    const outbox = new SqliteOutboxStore(handle, { clock, bounds: { maxAgeMs: 10_000 } });
    outbox.append([entry(1), entry(2)]);
    clock.advance(6000);
    outbox.append([entry(3)]);
    clock.advance(5000); // 1 and 2 are 11 s old, 3 is 5 s old
    outbox.append([entry(4)]);
    expect(outbox.peek(10, 1 << 20).map((e) => (e.message.content as { n: number }).n)).toEqual([3, 4]);
    expect(outbox.stats().dropped.byAge).toBe(2);
    handle.close();
  });

  it('migration 7 keeps the rows and ids of an older file and drops AUTOINCREMENT', () => {
    const f = file();
    const db = new Database(f);
    for (const m of migrations.filter((x) => x.version <= 6)) db.exec(m.sql);
    db.pragma('user_version = 6');
    db.prepare(
      "INSERT INTO outbox (id, kind, key, ts, bytes, body, readings) VALUES (41, 'reading', 'k', 0, 2, '{}', 3)",
    ).run();
    db.close();
    const handle = new DbHandle(f);
    handle.open();
    const sql = (handle.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'outbox'").get() as { sql: string }).sql;
    expect(sql).not.toMatch(/AUTOINCREMENT/);
    expect(handle.db.prepare("SELECT name FROM sqlite_master WHERE name = 'outbox_kind'").get()).toBeUndefined();
    const outbox = new SqliteOutboxStore(handle, { clock: new ManualClock(0) });
    expect(outbox.stats().count).toBe(1);
    expect(outbox.append([entry(1)])[0]).toBe(42);
    handle.close();
  });
});

describe('DeferredAckOutbox', () => {
  function setup() {
    const clock = new ManualClock(0);
    const handle = new DbHandle(file());
    handle.open();
    const outbox = new SqliteOutboxStore(handle, { clock });
    const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50, idleMs: 0 });
    // As EdgeStore does: a rolled-back transaction kept none of the outbox's changes.
    batcher.register({ flush: () => undefined, rollback: () => outbox.rolledBack() });
    batcher.start();
    const link = new DeferredAckOutbox(outbox, batcher, clock, 5000);
    return { clock, handle, outbox, batcher, link };
  }

  it('deletes acknowledged entries with the next commit, not in one of their own', () => {
    const { handle, outbox, batcher, link } = setup();
    const ids = outbox.append([entry(1), entry(2), entry(3)]);
    link.ack(ids.slice(0, 2));
    expect(outbox.stats().count).toBe(3); // not yet deleted...
    expect(link.stats().count).toBe(1); // ...but not counted as waiting
    const commits = batcher.stats.flushes;
    batcher.flushNow(); // a commit of the hot path
    expect(batcher.stats.flushes).toBe(commits + 1);
    expect(outbox.peek(10, 1 << 20).map((e) => e.id)).toEqual([ids[2]]);
    link.stop();
    handle.close();
  });

  it('commits the deletes by itself after the delay when no other commit comes', () => {
    const { clock, handle, outbox, batcher, link } = setup();
    const ids = outbox.append([entry(1)]);
    link.ack(ids);
    clock.advance(4999);
    expect(outbox.stats().count).toBe(1);
    clock.advance(1); // the delay: marks the batcher
    clock.advance(50); // the batcher's interval: the commit
    expect(batcher.stats.flushes).toBe(1);
    expect(outbox.stats().count).toBe(0);
    link.stop();
    handle.close();
  });

  it('settles at once for a new connection, and keeps the deletes when a commit rolls back', () => {
    const { handle, outbox, batcher, link } = setup();
    const ids = outbox.append([entry(1), entry(2)]);
    let fail = true;
    batcher.register({
      flush: () => {
        if (fail) throw new Error('disk went away');
      },
    });
    link.ack([ids[0]!]);
    batcher.flushNow(); // rolled back
    expect(outbox.stats().count).toBe(2);
    fail = false;
    link.settleAcks();
    expect(outbox.peek(10, 1 << 20).map((e) => e.id)).toEqual([ids[1]]);
    link.stop();
    handle.close();
  });
});

describe('the pipeline state on an SD card', () => {
  it('is one compressed row, written only when it changed, and read back after a reopen', () => {
    const f = file();
    let handle = new DbHandle(f);
    handle.open();
    let store = new SqlitePipelineStateStore(handle);
    const state = { 'default:d/p0': { ema: 20.5 }, 'default:d/p1': { ema: 3 } } as never;
    store.saveAll(state);
    const rows = () => handle.db.prepare('SELECT key, snapshot FROM pipeline_state').all() as Array<{ key: string }>;
    expect(rows().length).toBe(1);
    const changes = () => (handle.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    store.saveAll(state); // unchanged: nothing written
    expect(changes()).toBe(before);
    handle.close();
    handle = new DbHandle(f);
    handle.open();
    store = new SqlitePipelineStateStore(handle);
    expect(store.loadAll()).toEqual(state);
    store.delete(['default:d/p1']);
    expect(store.loadAll()).toEqual({ 'default:d/p0': { ema: 20.5 } });
    handle.close();
  });

  it('reads the row per property of an older file', () => {
    const handle = new DbHandle(file());
    handle.open();
    handle.db.prepare('INSERT INTO pipeline_state (key, snapshot) VALUES (?, ?)').run('default:d/p0', '{"ema":1}');
    expect(new SqlitePipelineStateStore(handle).loadAll()).toEqual({ 'default:d/p0': { ema: 1 } });
    handle.close();
  });
});

describe('the page size of the edge file', () => {
  it('is 4 KB for a new file, and a file of 16 KB pages is converted at open with its rows', () => {
    const f = file();
    const old = new Database(f);
    old.pragma('page_size = 16384');
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE keep (x TEXT)');
    old.prepare('INSERT INTO keep VALUES (?)').run('still here');
    old.close();
    const handle = new DbHandle(f);
    handle.open();
    expect(handle.db.pragma('page_size', { simple: true })).toBe(EDGE_PAGE_SIZE);
    expect(handle.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(handle.db.prepare('SELECT x FROM keep').get()).toEqual({ x: 'still here' });
    handle.close();
    const fresh = new DbHandle(file());
    fresh.open();
    expect(fresh.db.pragma('page_size', { simple: true })).toBe(4096);
    fresh.close();
  });
});
