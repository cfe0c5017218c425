import { edgeDefaults } from '../../core/config/index.js';
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
import {
  describeMetaStoreContract,
  describePipelineStateStoreContract,
  describeTwinStoreContract,
  type StoreFixture,
} from './stores.contract.js';
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

describeMetaStoreContract(
  'SQLite',
  sqliteFixture((h) => new SqliteMetaStore(h)),
);
describeTwinStoreContract(
  'SQLite',
  sqliteFixture((h) => new SqliteTwinStore(h)),
);
describePipelineStateStoreContract(
  'SQLite',
  sqliteFixture((h) => new SqlitePipelineStateStore(h)),
);

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
    db.exec(
      'DROP TABLE twin_reported_log; CREATE TABLE twin_reported_log (id INTEGER PRIMARY KEY, device TEXT NOT NULL, property TEXT NOT NULL, reported TEXT NOT NULL);',
    );
    db.prepare('INSERT INTO twin_reported_log (device, property, reported) VALUES (?, ?, ?)').run(
      'default/a',
      'p',
      JSON.stringify({ value: '5', quality: 'good', ts: 9, version: 2 }),
    );
    db.exec(migrations.find((m) => m.version === 3)!.sql);
    expect(new SqliteTwinStore(handle).loadAll().get('default/a')?.get('p')?.reported).toEqual({
      value: '5',
      quality: 'good',
      ts: 9,
      version: 2,
    });
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
    const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50, idleMs: 5 });
    batcher.start();
    const buffered: number[] = [];
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    batcher.register({
      flush: () => {
        for (const v of buffered.splice(0)) insert.run(v);
      },
    });
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
    const batcher = new WriteBatcher(handle, clock, silentLogger(), { intervalMs: 50, idleMs: 5, maxPending: 3 });
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
    expect(flushed).toBe(0); // never inside the caller's own change
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(1);
    fail = true;
    const waiting = batcher.durable();
    clock.advance(50);
    await expect(waiting).rejects.toThrow('disk full');
    expect(batcher.stats.failures).toBe(1);
    batcher.stop();
    handle.close();
  });

  describe('when a batch is committed', () => {
    function setup(options: { intervalMs?: number; idleMs?: number; minGapMs?: number } = {}) {
      const handle = new DbHandle(':memory:');
      handle.open();
      const clock = new ManualClock(0);
      const defaults = edgeDefaults();
      const batcher = new WriteBatcher(handle, clock, silentLogger(), {
        intervalMs: defaults.batchMs,
        idleMs: defaults.batchIdleMs,
        ...options,
      });
      batcher.start();
      const commits: number[] = [];
      batcher.onCommit(() => commits.push(clock.now()));
      const writesEvery = (ms: number, count: number) => {
        for (let i = 0; i < count; i++) {
          batcher.mark();
          clock.advance(ms);
        }
      };
      return {
        batcher,
        clock,
        commits,
        writesEvery,
        close: () => {
          batcher.stop();
          handle.close();
        },
      };
    }

    it('commits a burst once, as soon as it has paused for idleMs', () => {
      const t = setup({ intervalMs: 50, idleMs: 5 });
      t.writesEvery(1, 10); // writes at 0..9 ms
      t.clock.advance(100);
      expect(t.commits).toEqual([14]);
      t.close();
    });

    it('commits writes that never pause at the age limit', () => {
      const t = setup({ intervalMs: 50, idleMs: 5 });
      t.writesEvery(1, 120);
      expect(t.commits).toEqual([50, 100]);
      t.close();
    });

    it('keeps idle-triggered commits minGapMs apart when writes come a little slower than idleMs', () => {
      const t = setup({ intervalMs: 50, idleMs: 5, minGapMs: 20 });
      t.writesEvery(8, 15); // writes at 0, 8, ..., 112
      t.clock.advance(100);
      expect(t.commits.length).toBeGreaterThan(1);
      for (let i = 1; i < t.commits.length; i++) expect(t.commits[i]! - t.commits[i - 1]!).toBeGreaterThanOrEqual(20);
      t.close();
    });

    it('with idleMs 0 commits once per interval', () => {
      const t = setup({ intervalMs: 50, idleMs: 0 });
      t.writesEvery(1, 10);
      t.clock.advance(100);
      expect(t.commits).toEqual([50]);
      t.close();
    });
  });
});
