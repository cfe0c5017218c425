import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../core/bus/index.js';
import { systemClock } from '../../core/clock/index.js';
import { EdgeConfigSchema, type EdgeConfig } from '../../core/config/index.js';
import { silentLogger } from '../../core/log/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import type { EdgeModuleDeps } from '../index.js';
import { DbHandle, SqliteOutboxStore, SqliteMetaStore, WriteBatcher } from '../store/index.js';
import { edgeHubModules } from './index.js';

function deps(cloud?: string): EdgeModuleDeps {
  const config = Value.Default(EdgeConfigSchema, { node: 'n1', ...(cloud ? { cloud } : {}) }) as EdgeConfig;
  const handle = new DbHandle(':memory:');
  return {
    bus: new Bus({ logger: silentLogger() }),
    outbox: new SqliteOutboxStore(handle, { clock: systemClock }),
    metaStore: new SqliteMetaStore(handle),
    batcher: new WriteBatcher(handle, systemClock, silentLogger(), {
      intervalMs: config.batchMs,
      idleMs: config.batchIdleMs,
    }),
    logger: silentLogger(),
    clock: systemClock,
    registry: createMetricsRegistry(),
    config,
    storeId: () => 'store-1',
  };
}

describe('edgeHubModules', () => {
  it('adds EdgeHub only when the node has a cloud', () => {
    expect(edgeHubModules(deps())).toEqual([]);
    const modules = edgeHubModules(deps('ws://127.0.0.1:10000'));
    expect(modules.map((m) => m.name)).toEqual(['edgehub']);
  });
});
