import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { DbHandle, openDatabase } from './db.js';
import { SqliteMetaStore } from './meta-store.js';
import { migrations } from './migrations.js';
import { SqlitePipelineStateStore } from './pipeline-state-store.js';
import { describeMetaStoreContract, describePipelineStateStoreContract, describeTwinStoreContract, type StoreFixture } from './stores.contract.js';
import { SqliteTwinStore } from './twin-store.js';
import { WriteBatcher } from './write-batcher.js';

function sqliteFixture<S>(build: (h: DbHandle) => S): () => StoreFixture<S> {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-store-'));
    let handle = new DbHandle(join(dir, 'edge.db'));
    handle.open();
    return {
      store: build(handle),
      reopen: () => {
        handle.close();
        handle = new DbHandle(join(dir, 'edge.db'));
        handle.open();
        return build(handle);
      },
      cleanup: () => {
        handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

describeMetaStoreContract('SQLite', sqliteFixture((h) => new SqliteMetaStore(h)));
describeTwinStoreContract('SQLite', sqliteFixture((h) => new SqliteTwinStore(h)));
describePipelineStateStoreContract('SQLite', sqliteFixture((h) => new SqlitePipelineStateStore(h)));

describe('openDatabase', () => {
  it('uses WAL, synchronous NORMAL and applies every migration once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-db-'));
    try {
      const db = openDatabase(join(dir, 'x.db'));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
      db.close();
      const again = openDatabase(join(dir, 'x.db'));
      expect(again.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migration 3 carries journal rows of version 2 over in the packed form', () => {
    const handle = new DbHandle(':memory:');
    const db = handle.open();
    // Rebuild a version-2 journal by hand, then run migration 3 again on it.
    db.exec('DROP TABLE twin_reported_log; CREATE TABLE twin_reported_log (id INTEGER PRIMARY KEY, device TEXT NOT NULL, property TEXT NOT NULL, reported TEXT NOT NULL);');
    db.prepare('INSERT INTO twin_reported_log (device, property, reported) VALUES (?, ?, ?)').run('default/a', 'p', JSON.stringify({ value: '5', quality: 'good', ts: 9, version: 2 }));
    db.exec(migrations.find((m) => m.version === 3)!.sql);
    expect(new SqliteTwinStore(handle).loadAll().get('default/a')?.get('p')?.reported).toEqual({ value: '5', quality: 'good', ts: 9, version: 2 });
    handle.close();
  });

  it('names the file when it cannot be opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-db-'));
    try {
      writeFileSync(join(dir, 'plain-file'), 'x');
      expect(() => openDatabase(join(dir, 'plain-file', 'x.db'))).toThrow(/cannot open .*plain-file\/x\.db/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WriteBatcher', () => {
  it('commits buffered writes of all sources in one transaction per tick and resolves durable()', async () => {
    const handle = new DbHandle(':memory:');
    const db = handle.open();
    db.exec('CREATE TABLE t (v INTEGER)');
    const clock = new ManualClock(0);
    const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50 });
    batcher.start();
    const buffered: number[] = [];
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    batcher.register({ flush: () => buffered.splice(0).forEach((v) => insert.run(v)) });
    let commits = 0;
    batcher.onCommit(() => commits++);
    for (let i = 0; i < 100; i++) {
      buffered.push(i);
      batcher.mark();
    }
    const done = batcher.durable();
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(0);
    clock.advance(50);
    await done;
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(100);
    expect(commits).toBe(1);
    expect(batcher.stats.flushes).toBe(1);
    batcher.stop();
    expect(clock.pending).toBe(0);
    handle.close();
  });

  it('flushes early when maxPending writes are buffered, and rejects waiters when the commit fails', async () => {
    const handle = new DbHandle(':memory:');
    handle.open();
    const clock = new ManualClock(0);
    const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50, maxPending: 3 });
    batcher.start();
    let flushed = 0;
    let fail = false;
    batcher.register({
      flush: () => {
        flushed++;
        if (fail) throw new Error('disk full');
      },
    });
    batcher.mark(3);
    expect(flushed).toBe(1);
    fail = true;
    const waiting = batcher.durable();
    clock.advance(50);
    await expect(waiting).rejects.toThrow('disk full');
    expect(batcher.stats.failures).toBe(1);
    batcher.stop();
    handle.close();
  });
});
