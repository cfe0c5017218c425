import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { edgeDefaults } from '../../core/config/index.js';
import type { KedgeError } from '../../core/errors/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { EdgeStore } from './edge-store.js';
import type { DiskBounds } from './disk-guard.js';
import { RESERVE_FILE } from './disk-usage.js';

const MiB = 1024 * 1024;
const BATCH = { intervalMs: edgeDefaults().batchMs, idleMs: edgeDefaults().batchIdleMs };
const bounds = (o: Partial<DiskBounds> = {}): DiskBounds => ({
  maxBytes: 4 * MiB,
  walBytes: 256 * 1024,
  logBytes: 64 * 1024,
  reserveBytes: 0,
  checkIntervalMs: 1000,
  truncateIntervalMs: 1000,
  ...o,
});

/** Lines the store logged, as objects. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = silentLogger();
  const wrap = (level: string) => (obj: unknown, msg?: string) =>
    lines.push({ level, ...(typeof obj === 'object' ? (obj as object) : { msg: obj }), ...(msg ? { msg } : {}) });
  for (const level of ['fatal', 'error', 'warn', 'info'])
    (logger as unknown as Record<string, unknown>)[level] = wrap(level);
  (logger as unknown as { child: () => unknown }).child = () => logger;
  return { logger, lines };
}

describe('the edge store on a full disk', () => {
  const dirs: string[] = [];
  const stores: EdgeStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'kedge-disk-'));
    dirs.push(d);
    return d;
  };

  async function open(dir: string, disk: DiskBounds, extra: Partial<ConstructorParameters<typeof EdgeStore>[0]> = {}) {
    const clock = new ManualClock(1_000_000);
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const store = new EdgeStore({
      batch: BATCH,
      dataDir: dir,
      clock,
      logger,
      registry,
      disk,
      outbox: { maxBytes: 1 << 30 },
      ...extra,
    });
    await store.start();
    stores.push(store);
    return { store, clock, lines, registry };
  }

  /** `n` characters that do not compress (base64 of random bytes). */
  const noise = (n: number) =>
    randomBytes(Math.ceil((n * 3) / 4))
      .toString('base64')
      .slice(0, n);

  /** A source of telemetry entries that, like the pipeline, takes its buffer back when a commit rolls back. */
  function readingsSource(store: EdgeStore, readingsPerEntry: number, pad: number) {
    let buffer: number[] = [];
    let taken: number[] = [];
    let next = 0;
    store.batcher.register({
      flush: () => {
        taken = buffer;
        buffer = [];
        store.outbox.append(
          taken.map((seq) => ({
            kind: 'reading' as const,
            key: 'default/n',
            readings: readingsPerEntry,
            // Random padding: the outbox stores bodies compressed, and a repeated letter takes no room.
            message: newMessage({ operation: 'upload' }, { seq, pad: noise(pad) }, { id: `m-${seq}` }),
          })),
        );
      },
      rollback: () => {
        buffer = [...taken, ...buffer];
        taken = [];
      },
    });
    return {
      /** Buffers one entry and waits for its commit. */
      write: () => {
        buffer.push(next++);
        store.batcher.mark();
        return store.batcher.durable();
      },
    };
  }

  it('keeps committing by dropping the oldest readings, counted per reading, and the file stays within its share', async () => {
    const dir = dataDir();
    const { store, clock, lines, registry } = await open(dir, bounds());
    const source = readingsSource(store, 50, 20_000);
    for (let i = 0; i < 400; i++) {
      const done = source.write();
      clock.advance(60);
      await done; // every commit succeeds: 8 MB written into a 4 MiB bound
    }
    const stats = store.outbox.stats();
    expect(stats.dropped.byDisk).toBeGreaterThan(100);
    expect(stats.dropped.readings).toBe(stats.dropped.byDisk * 50);
    expect(store.batcher.stats.failures).toBe(0);
    expect(store.batcher.stats.diskFullRetries).toBeGreaterThan(0);
    // What is left is the newest, in order and without gaps.
    const seqs = store.outbox.peek(10_000, 1 << 30).map((e) => (e.message.content as { seq: number }).seq);
    expect(seqs.at(-1)).toBe(399);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(seqs.length + stats.dropped.byDisk).toBe(400);
    // The file is inside its share of the bound: maxBytes - WAL - logs - reserve.
    const db = statSync(join(dir, 'edge.db')).size;
    expect(db).toBeLessThanOrEqual(4 * MiB - 256 * 1024 - 64 * 1024);
    expect(store.health().disk!.state).toBe('full');
    expect(store.health().ok).toBe(true);
    const drop = lines.find((l) => l.code === 'KEDGE_OUTBOX_DROPPED');
    expect(drop).toMatchObject({ cause: 'disk' });
    expect(drop!.totalReadings).toBeGreaterThan(0);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(
      new RegExp(`kedge_outbox_dropped_readings_total\\{cause="disk"\\} ${stats.dropped.readings}`),
    );
    expect(metrics).toMatch(/kedge_edge_disk_full 1/);
    // Room again (the outbox drains): the next check says so.
    store.outbox.ack(store.outbox.peek(10_000, 1 << 30).map((e) => e.id));
    clock.advance(1000);
    expect(store.health().disk!.state).toBe('ok');
  });

  it('counts a drop only once its transaction commits (a rolled-back drop dropped nothing)', async () => {
    const dir = dataDir();
    const { store, clock } = await open(dir, bounds(), { outbox: { maxBytes: 30_000 } });
    const entry = (n: number) => ({
      kind: 'reading' as const,
      key: 'k',
      readings: 10,
      message: newMessage({ operation: 'upload' }, { n, pad: 'p'.repeat(9_000) }),
    });
    store.outbox.append([entry(1), entry(2), entry(3)]);
    let fail = true;
    store.batcher.register({
      flush: () => {
        store.outbox.append([entry(4), entry(5)]); // over maxBytes: drops the oldest in this transaction
        if (fail) throw new Error('later source failed');
      },
    });
    const failed = store.batcher.durable();
    clock.advance(60);
    await expect(failed).rejects.toThrow('later source failed');
    expect(store.outbox.stats()).toMatchObject({ count: 3, dropped: { bySize: 0, readings: 0 } });
    fail = false;
    const done = store.batcher.durable();
    clock.advance(60);
    await done;
    expect(store.outbox.stats().dropped).toMatchObject({ bySize: 2, readings: 20 });
    expect(store.outbox.stats().count).toBe(3);
  });

  it('writes the reserve file when there is room and counts it in the bound', async () => {
    const dir = dataDir();
    const { store } = await open(dir, bounds({ reserveBytes: 256 * 1024 }));
    expect(statSync(join(dir, RESERVE_FILE)).size).toBe(256 * 1024);
    expect(store.health().disk!.parts.reserve).toBeGreaterThanOrEqual(256 * 1024);
    expect(store.health().disk!.usedBytes).toBeLessThanOrEqual(4 * MiB);
  });

  it('refuses to start when the bound leaves no room for the file, naming the shares', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'big-other-file'), Buffer.alloc(3 * MiB, 1));
    await expect(open(dir, bounds())).rejects.toThrow(/edge\.disk\.maxBytes \(4194304\) leaves .* other files/);
  });
});

describe('a damaged edge.db', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'kedge-damaged-'));
    dirs.push(d);
    return d;
  };
  const start = async (dir: string) => {
    const { logger, lines } = capturingLogger();
    const store = new EdgeStore({
      batch: BATCH,
      dataDir: dir,
      clock: new ManualClock(0),
      logger,
      disk: bounds(),
    });
    await store.start();
    return { store, lines };
  };

  it('is moved aside at start when it is not a database at all, and an empty store starts with a new id', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'edge.db'), 'this is not SQLite '.repeat(2000));
    const { store, lines } = await start(dir);
    const moved = readdirSync(dir).filter((f) => f.startsWith('edge.db.damaged-'));
    expect(moved).toHaveLength(1);
    expect(lines.find((l) => l.code === 'KEDGE_STORE_DAMAGED')).toMatchObject({ level: 'error' });
    expect(store.storeId).toMatch(/^[0-9a-f]{32}$/);
    expect(store.meta.list('device')).toEqual([]);
    await store.stop();
  });

  it('is moved aside when quick_check finds damaged pages; older damaged copies are removed', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const id = first.store.storeId;
    first.store.meta.put('device', 'default/a', { x: 'y'.repeat(50_000) });
    first.store.outbox.append(
      Array.from({ length: 40 }, (_, i) => ({
        kind: 'reading' as const,
        key: 'k',
        message: newMessage({ operation: 'upload' }, { i, pad: 'p'.repeat(4000) }),
      })),
    );
    await first.store.stop();
    writeFileSync(join(dir, 'edge.db.damaged-old'), 'an older copy');
    // Overwrite pages in the middle of the file (the outbox's b-tree) with garbage.
    const fd = openSync(join(dir, 'edge.db'), 'r+');
    writeSync(fd, Buffer.alloc(3 * 16_384, 0xa5), 0, 3 * 16_384, 4 * 16_384);
    closeSync(fd);
    const again = await start(dir);
    expect(again.lines.find((l) => l.code === 'KEDGE_STORE_DAMAGED')).toBeDefined();
    expect(again.store.storeId).not.toBe(id);
    const copies = readdirSync(dir).filter((f) => f.startsWith('edge.db.damaged-'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).not.toBe('edge.db.damaged-old');
    await again.store.stop();
  });

  it('of zero length starts as a new store (a new id, no devices)', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'edge.db'), '');
    const { store } = await start(dir);
    expect(store.storeId).toMatch(/^[0-9a-f]{32}$/);
    expect(existsSync(join(dir, 'edge.db'))).toBe(true);
    await store.stop();
  });
});

describe('repeated commit failures', () => {
  it('turn the health to failing after three, are counted, and call onFatal once at the limit (not for a full disk)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-failing-'));
    const clock = new ManualClock(0);
    const registry = new Registry();
    const fatal: KedgeError[] = [];
    const store = new EdgeStore({
      batch: BATCH,
      dataDir: dir,
      clock,
      logger: silentLogger(),
      registry,
      disk: bounds(),
      failureLimit: 5,
      onFatal: (e) => fatal.push(e),
    });
    await store.start();
    let error: Error | undefined = Object.assign(new Error('database disk image is malformed'), {
      code: 'SQLITE_CORRUPT',
    });
    store.batcher.register({
      flush: () => {
        if (error) throw error;
      },
    });
    const commit = async () => {
      const done = store.batcher.durable();
      clock.advance(60);
      return done.then(
        () => true,
        () => false,
      );
    };
    expect(await commit()).toBe(false);
    expect(await commit()).toBe(false);
    expect(store.health().ok).toBe(true);
    expect(await commit()).toBe(false);
    expect(store.health()).toMatchObject({
      ok: false,
      consecutiveFailures: 3,
      lastError: 'database disk image is malformed',
    });
    expect(fatal).toHaveLength(0);
    await commit();
    await commit();
    await commit();
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.code).toBe('KEDGE_STORE_FAILING');
    expect(await registry.metrics()).toMatch(/kedge_edge_store_commit_failures_total 6/);
    error = undefined;
    expect(await commit()).toBe(true);
    expect(store.health().ok).toBe(true);
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('do not call onFatal when the disk is full, however long', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-failing-'));
    const clock = new ManualClock(0);
    const fatal: KedgeError[] = [];
    const store = new EdgeStore({
      batch: BATCH,
      dataDir: dir,
      clock,
      logger: silentLogger(),
      disk: bounds(),
      failureLimit: 2,
      onFatal: (e) => fatal.push(e),
    });
    await store.start();
    store.batcher.register({
      flush: () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      },
    });
    for (let i = 0; i < 5; i++) {
      const done = store.batcher.durable();
      clock.advance(60);
      await done.catch(() => undefined);
    }
    expect(store.batcher.stats.consecutiveFailures).toBe(5);
    expect(store.health().ok).toBe(false);
    expect(fatal).toEqual([]);
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
