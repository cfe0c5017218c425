import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock/index.js';
import type { KedgeError } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { DbHandle } from './db.js';
import { DeferredAckOutbox } from './deferred-acks.js';
import { DiskGuard, type DiskBounds, type DiskHealth } from './disk-guard.js';
import { storeErrors } from './errors.js';
import { SqliteMetaStore } from './meta-store.js';
import { SqliteOutboxStore } from './outbox-store.js';
import { SqlitePipelineStateStore } from './pipeline-state-store.js';
import { SqliteTwinStore } from './twin-store.js';
import type { OutboxBounds } from './types.js';
import { WriteBatcher, type CommitFailure, type WriteBatcherOptions } from './write-batcher.js';

export interface EdgeStoreOptions {
  /** Folder of `edge.db` (or ':memory:' as the file for tests). */
  dataDir: string;
  file?: string;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  outbox?: Partial<OutboxBounds>;
  batch: WriteBatcherOptions;
  /**
   * `edge.disk`: the bound on the data dir, the start-up check that moves a damaged file aside,
   * and the handling of a full disk. Without it (tests) the file is opened as it is.
   */
  disk?: DiskBounds;
  /** Consecutive failed commits (a full disk excepted) after which `onFatal` is called (default: never). */
  failureLimit?: number;
  /** The store cannot go on (e.g. the file went bad while running): the node should stop and be restarted. */
  onFatal?: (err: KedgeError) => void;
}

/**
 * Entries the cloud acknowledged are deleted by the next commit of the hot path, or after this long
 * by one of their own (a second commit per second of readings was what it cost otherwise).
 */
const ACK_DELETE_DELAY_MS = 5000;

/** Consecutive failed commits after which /healthz says the store is failing. */
const UNHEALTHY_AFTER = 3;

export interface StoreHealth {
  /** False after repeated failed commits, until one succeeds. */
  ok: boolean;
  consecutiveFailures: number;
  failures: number;
  lastError?: string;
  disk?: DiskHealth;
}

/**
 * The node's one SQLite file and the stores on it, as a module: first to start (opens and
 * migrates), last to stop (flushes the last batch, closes). The stores can be handed to the other
 * modules before the file is open.
 */
export class EdgeStore implements Module {
  readonly name = 'store';
  readonly group = 'meta';
  readonly handle: DbHandle;
  readonly meta: SqliteMetaStore;
  readonly twin: SqliteTwinStore;
  readonly pipelineState: SqlitePipelineStateStore;
  readonly outbox: SqliteOutboxStore;
  /** The outbox for the cloud link: acknowledged entries are deleted with the next commit. */
  readonly linkOutbox: DeferredAckOutbox;
  readonly batcher: WriteBatcher;
  readonly disk: DiskGuard | undefined;
  private lastError: string | undefined;
  private fatal = false;
  private readonly failures: Counter | undefined;
  private readonly commits: Counter | undefined;
  private readonly healthy: Gauge | undefined;

  constructor(private readonly options: EdgeStoreOptions) {
    const file = options.file ?? join(options.dataDir, 'edge.db');
    this.handle = new DbHandle(file, options.disk ? { repair: { logger: options.logger } } : {});
    this.meta = new SqliteMetaStore(this.handle);
    this.twin = new SqliteTwinStore(this.handle);
    this.pipelineState = new SqlitePipelineStateStore(this.handle);
    this.outbox = new SqliteOutboxStore(this.handle, {
      clock: options.clock,
      bounds: options.outbox,
      registry: options.registry,
      logger: options.logger,
    });
    if (options.disk && file !== ':memory:') {
      this.disk = new DiskGuard({
        dataDir: options.dataDir,
        handle: this.handle,
        outbox: this.outbox,
        bounds: options.disk,
        clock: options.clock,
        logger: options.logger,
        registry: options.registry,
      });
    }
    if (options.registry) {
      this.failures = new Counter({
        name: 'kedge_edge_store_commit_failures_total',
        help: 'Store commits that failed (after making room on a full disk and trying again)',
        registers: [options.registry],
      });
      this.commits = new Counter({
        name: 'kedge_edge_store_commits_total',
        help: 'Store transactions of the hot path committed (each writes its changed pages to the WAL: SD card wear)',
        registers: [options.registry],
      });
      this.healthy = new Gauge({
        name: 'kedge_edge_store_healthy',
        help: '0 after repeated failed commits (see /healthz), 1 otherwise',
        registers: [options.registry],
      });
      this.healthy.set(1);
    }
    const disk = this.disk;
    this.batcher = new WriteBatcher(this.handle, options.clock, options.logger, {
      ...options.batch,
      ...(disk ? { onDiskFull: (err: Error) => disk.onDiskFull(err) } : {}),
      onFailure: (f) => this.onFailure(f),
      onRecovered: () => {
        this.lastError = undefined;
        this.healthy?.set(1);
      },
    });
    // The outbox counts its drops once they are committed; a rolled-back transaction kept none
    // of its appends and drops.
    this.batcher.register({ flush: () => undefined, rollback: () => this.outbox.rolledBack() });
    this.linkOutbox = new DeferredAckOutbox(this.outbox, this.batcher, options.clock, ACK_DELETE_DELAY_MS);
    this.batcher.onCommit(() => {
      this.outbox.committed();
      this.commits?.inc();
    });
  }

  /** The random id of this file's store: a new or replaced file has a new one (the cloud resyncs it). */
  get storeId(): string {
    const row = this.handle.db.prepare("SELECT value FROM store_info WHERE key = 'id'").get() as
      | { value: string }
      | undefined;
    return row?.value ?? '';
  }

  async start(): Promise<void> {
    const disk = this.disk;
    if (disk && this.options.disk) {
      disk.measure();
      this.handle.configure({ maxDbBytes: disk.dbLimit(), walBytes: this.options.disk.walBytes });
    }
    this.handle.open();
    this.batcher.start();
    disk?.start();
  }

  async stop(): Promise<void> {
    this.batcher.stop();
    this.linkOutbox.stop();
    this.disk?.stop();
    this.meta.reset();
    this.twin.reset();
    this.pipelineState.reset();
    this.outbox.reset();
    this.handle.close();
  }

  health(): StoreHealth {
    const consecutive = this.batcher.stats.consecutiveFailures;
    return {
      ok: consecutive < UNHEALTHY_AFTER,
      consecutiveFailures: consecutive,
      failures: this.batcher.stats.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.disk ? { disk: this.disk.health() } : {}),
    };
  }

  private onFailure(f: CommitFailure): void {
    this.lastError = f.error.message;
    this.failures?.inc();
    if (f.consecutive >= UNHEALTHY_AFTER) this.healthy?.set(0);
    const limit = this.options.failureLimit;
    // A full disk is waited out (it drops old readings and retries on every commit); anything else
    // repeating is a file gone bad, which the start-up check repairs: hand it to the supervisor.
    if (f.diskFull || limit === undefined || f.consecutive < limit || this.fatal) return;
    this.fatal = true;
    this.options.onFatal?.(
      storeErrors.create(
        'KEDGE_STORE_FAILING',
        `${f.consecutive} store commits in a row failed (last: ${f.error.message}); stopping so that the start-up check can repair ${this.handle.file}`,
        { cause: f.error },
      ),
    );
  }
}
