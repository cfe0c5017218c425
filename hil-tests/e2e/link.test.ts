import { cloudDefaults } from '../../src/core/config/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudHub } from '../../src/cloud/cloudhub/index.js';
import { SqliteLinkState, SqliteObjectStore } from '../../src/cloud/store/index.js';
import {
  type CloudChannels,
  type CloudRequests,
  DeviceColumnsBuilder,
  type EdgeChannels,
  type EdgeRequests,
  forEachColumnReading,
  type TelemetryColumnsContent,
} from '../../src/contracts/index.js';
import { Bus } from '../../src/core/bus/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { newMessage } from '../../src/core/message/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import { createEdgeHub, type EdgeHub } from '../../src/edge/edgehub/index.js';
import { DbHandle, SqliteOutboxStore } from '../../src/edge/store/index.js';

/**
 * The two halves of the link in one process, real sockets and real SQLite files: EdgeHub with
 * the edge's outbox, CloudHub with its persisted dedupe window. The cloud is stopped and started
 * again (same files, same port) while readings keep coming.
 */
describe('link: EdgeHub <-> CloudHub', () => {
  let dir: string;
  let store: SqliteObjectStore;
  let cloudBus: Bus<CloudChannels, CloudRequests>;
  let cloud: CloudHub | undefined;
  let edgeDb: DbHandle;
  let outbox: SqliteOutboxStore;
  let edgeBus: Bus<EdgeChannels, EdgeRequests>;
  let edge: EdgeHub;
  let handled: Array<{ device: string; seq: number }>;

  const startCloud = async (port: number) => {
    cloud = new CloudHub({
      bus: cloudBus,
      linkState: new SqliteLinkState(store.database),
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      host: '127.0.0.1',
      port,
      maxPayloadBytes: cloudDefaults().maxFrameBytes,
      keepaliveTimeoutMs: cloudDefaults().keepaliveTimeoutMs,
      idleTimeoutMs: cloudDefaults().idleTimeoutMs,
    });
    await cloud.start();
    return cloud.port;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kedge-link-'));
    store = new SqliteObjectStore({ file: join(dir, 'cloud.db') });
    cloudBus = new Bus({ logger: silentLogger() });
    handled = [];
    cloudBus.serve('upstream.telemetrycolumns', { name: 'test', group: 'test' }, ({ message }) => {
      for (const c of (message.content as TelemetryColumnsContent).devices) {
        const device = c.device.slice(c.device.indexOf('/') + 1);
        forEachColumnReading(c, (_p, _u, value) => handled.push({ device, seq: value as number }));
      }
      return { ok: true };
    });
    edgeDb = new DbHandle(join(dir, 'edge.db'));
    edgeDb.open();
    outbox = new SqliteOutboxStore(edgeDb, { clock: systemClock });
    edgeBus = new Bus({ logger: silentLogger() });
  });

  afterEach(async () => {
    await edge?.stop();
    await cloud?.stop();
    edgeDb.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const emit = (device: string, seq: number) => {
    const columns = new DeviceColumnsBuilder(`default/${device}`);
    columns.add('seq', seq, 'good', Date.now());
    const message = newMessage(
      { source: 'twin', group: 'hub', operation: 'upload', resource: `node/edge-1/default/telemetrycolumns/${device}` },
      { devices: [columns.columns] } satisfies TelemetryColumnsContent,
    );
    outbox.append([{ kind: 'reading', key: `default/${device}`, message }]);
    edgeBus.publish('outbox.appended', { count: 1 });
  };

  it('delivers every reading exactly once and in order per device across a cloud restart', async () => {
    const port = await startCloud(0);
    edge = createEdgeHub({
      bus: edgeBus,
      outbox,
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      cloudUrl: `ws://127.0.0.1:${port}`,
      node: 'edge-1',
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await edge.start();
    const devices = ['d1', 'd2', 'd3'];
    let seq = 0;
    const produce = async (count: number) => {
      for (let i = 0; i < count; i++) {
        for (const d of devices) emit(d, seq);
        seq++;
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    };
    await produce(300);
    await cloud!.stop(); // the outage: readings pile up in the outbox
    cloud = undefined;
    await produce(600);
    expect(outbox.stats().count).toBeGreaterThan(0);
    await startCloud(port);
    await produce(300);
    const total = seq * devices.length;
    const end = Date.now() + 20_000;
    while (handled.length < total && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(handled).toHaveLength(total);
    for (const d of devices) {
      expect(handled.filter((h) => h.device === d).map((h) => h.seq)).toEqual(Array.from({ length: seq }, (_, i) => i));
    }
    const drained = Date.now() + 5000;
    while (outbox.stats().count > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 20));
    expect(outbox.stats().count).toBe(0);
  });
});
