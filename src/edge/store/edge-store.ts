import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { DbHandle } from './db.js';
import { SqliteMetaStore } from './meta-store.js';
import { SqliteOutboxStore } from './outbox-store.js';
import { SqlitePipelineStateStore } from './pipeline-state-store.js';
import { SqliteTwinStore } from './twin-store.js';
import type { OutboxBounds } from './types.js';
import { WriteBatcher, type WriteBatcherOptions } from './write-batcher.js';

export interface EdgeStoreOptions {
  /** Folder of `edge.db` (or ':memory:' as the file for tests). */
  dataDir: string;
  file?: string;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  outbox?: Partial<OutboxBounds>;
  batch: WriteBatcherOptions;
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
  readonly batcher: WriteBatcher;

  constructor(options: EdgeStoreOptions) {
    this.handle = new DbHandle(options.file ?? join(options.dataDir, 'edge.db'));
    this.meta = new SqliteMetaStore(this.handle);
    this.twin = new SqliteTwinStore(this.handle);
    this.pipelineState = new SqlitePipelineStateStore(this.handle);
    this.outbox = new SqliteOutboxStore(this.handle, {
      clock: options.clock,
      bounds: options.outbox,
      registry: options.registry,
    });
    this.batcher = new WriteBatcher(this.handle, options.clock, options.logger, options.batch);
  }

  async start(): Promise<void> {
    this.handle.open();
    this.batcher.start();
  }

  async stop(): Promise<void> {
    this.batcher.stop();
    this.meta.reset();
    this.twin.reset();
    this.outbox.reset();
    this.handle.close();
  }
}
