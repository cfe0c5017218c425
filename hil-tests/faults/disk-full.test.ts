import { existsSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { treeBytes } from '../../src/edge/store/index.js';
import { writeCounterDevices } from '../e2e/harness/counter-devices.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor } from '../e2e/harness/processes.js';
import { CloudSubscriber } from '../e2e/harness/subscriber.js';
import { SyntheticMapper } from '../e2e/harness/synthetic-mapper.js';
import { TcpProxy } from '../e2e/harness/tcp-proxy.js';
import { healthz, metric } from './harness/metrics.js';
import { reportFigures } from './harness/report.js';
import { Tmpfs } from './harness/tmpfs.js';

const MiB = 1024 * 1024;
const DEVICES = 20;
const PROPS = ['a', 'b'];
const TICK_MS = 5; // 20 devices x 2 properties x 200 ticks/s = 8,000 readings/s offered
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a full disk under the edge (tmpfs)', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Cloud (behind a proxy the test cuts), an edge with its data dir in `edgeDir`, devices applied. */
  async function setup(edgeDir: string, env: Record<string, string>) {
    const dir = tempDir('kedge-faults-disk-');
    cleanups.push(() => dir.remove());
    const cloud = await startCloud(join(dir.path, 'cloud'));
    cleanups.push(() => cloud.proc.stop());
    const proxy = await TcpProxy.start(cloud.ports.hub);
    cleanups.push(() => proxy.stop());
    const sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
    cleanups.push(() => sub.close());
    const s = await edgeSetup('disk-node', edgeDir, `ws://127.0.0.1:${proxy.port}`, 'none');
    const edge = await startEdge(s, env);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'counters.yaml');
    // Random text beside the counters: the outbox stores bodies compressed, and counters alone
    // would take minutes to fill the disk.
    const devices = writeCounterDevices(file, s.node, DEVICES, { noise: true });
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${s.apiPort}/api/v1/devices`).catch(() => undefined);
        return ((await res?.json()) as { items?: unknown[] } | undefined)?.items?.length === DEVICES;
      },
      'the devices on the edge',
      30_000,
      [edge],
    );
    const mapper = new SyntheticMapper(devices, PROPS, s, 'n');
    cleanups.push(() => mapper.stop());
    return { cloud, proxy, sub, s, edge, devices, mapper, metrics: `http://127.0.0.1:${s.apiPort}/metrics` };
  }

  /** After the link is back: every acknowledged reading reached the consumer or is counted as dropped. */
  async function accountFor(t: Awaited<ReturnType<typeof setup>>, droppedReadings: number) {
    const expected = t.mapper.ackedReadings;
    const delivered = () => t.sub.telemetry.reduce((n, m) => n + m.readings.length, 0);
    await waitFor(() => delivered() + droppedReadings >= expected, 'the backlog at the consumer', 120_000, [t.edge]);
    await sleep(1000); // a duplicate would arrive now
    let missingAcked = 0;
    for (const device of t.devices) {
      for (const prop of PROPS) {
        const seqs = t.sub.readings(device, prop).map((r) => r.value as number);
        expect(new Set(seqs).size, `${device} ${prop}: no duplicates`).toBe(seqs.length);
        expect(
          seqs.every((v, i) => i === 0 || v > seqs[i - 1]!),
          `${device} ${prop}: in order`,
        ).toBe(true);
        const got = new Set(seqs);
        missingAcked += [...t.mapper.acked.get(device)!].filter((v) => !got.has(v)).length;
      }
    }
    // Only dropped readings (counted) may be missing; nothing acknowledged was lost otherwise.
    expect(missingAcked).toBeLessThanOrEqual(droppedReadings);
    return { delivered: delivered(), missingAcked };
  }

  it('the file system fills: the edge never exits, drops the oldest readings (counted), and resumes when space returns', async () => {
    // Room for the reserve to come back once the filler is gone: it is written again only when the
    // file system has twice its size free (2 x 2 MiB), besides the outbox that filled the rest.
    const fs = Tmpfs.mount(12 * MiB);
    cleanups.push(() => fs.unmount());
    const t = await setup(join(fs.path, 'edge'), {
      KEDGE_EDGE__DISK__CHECK_INTERVAL_MS: '500',
      KEDGE_EDGE__DISK__TRUNCATE_INTERVAL_MS: '500',
    });
    await waitFor(() => existsSync(join(fs.path, 'edge', 'disk-reserve')), 'the reserve file', 10_000, [t.edge]);
    t.proxy.cut();
    // Leave 1.5 MiB free besides the reserve: the outbox fills it within seconds.
    const free = (() => {
      const st = statfsSync(fs.path);
      return st.bavail * st.bsize;
    })();
    const filler = join(fs.path, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, free - 1.5 * MiB), 1));
    t.mapper.start(TICK_MS);
    const fullAt = Date.now();
    await waitFor(
      async () => (await metric(t.metrics, 'kedge_outbox_dropped_readings_total{cause="disk"}')) > 0,
      'readings dropped for the full disk',
      60_000,
      [t.edge],
    );
    const timeToFull = Date.now() - fullAt;
    const ackedAtFull = t.mapper.ackedReadings;
    const degraded = await healthz(t.s.apiPort);
    await sleep(8000); // full for a while: every commit has to make room
    const ackedWhileFull = t.mapper.ackedReadings - ackedAtFull;
    expect(t.edge.running).toBe(true);
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.store.disk.state).toBe('full');
    expect(ackedWhileFull).toBeGreaterThan(8000); // still storing (and acknowledging) new readings
    expect(t.edge.output).toMatch(/"code":"KEDGE_OUTBOX_DROPPED"[^\n]*"cause":"disk"/);

    // Space returns: the edge says so by itself and writes its reserve again.
    rmSync(filler);
    const freedAt = Date.now();
    await waitFor(
      async () =>
        (await healthz(t.s.apiPort)).body.status === 'ok' && existsSync(join(fs.path, 'edge', 'disk-reserve')),
      '/healthz ok again with the reserve back',
      30_000,
      [t.edge],
    );
    const recoveryMs = Date.now() - freedAt;
    await t.mapper.stop();
    const dropped = await metric(t.metrics, 'kedge_outbox_dropped_readings_total{cause="disk"}');
    const fullEvents = await metric(t.metrics, 'kedge_edge_disk_full_events_total');
    t.proxy.restore();
    const { delivered, missingAcked } = await accountFor(t, dropped);
    expect(t.edge.running).toBe(true);
    reportFigures('disk full (12 MiB tmpfs, 8,000 readings/s offered)', {
      msToFirstDrop: timeToFull,
      fullEvents,
      ackedWhileFull8s: ackedWhileFull,
      ackedReadings: t.mapper.ackedReadings,
      droppedReadings: dropped,
      deliveredReadings: delivered,
      ackedButDropped: missingAcked,
      msToHealthyAfterFreeing: recoveryMs,
    });
  });

  it('the data dir stays within edge.disk.maxBytes, WAL and reserve included', async () => {
    const fs = Tmpfs.mount(32 * MiB);
    cleanups.push(() => fs.unmount());
    const bound = 5 * MiB;
    const t = await setup(join(fs.path, 'edge'), {
      KEDGE_EDGE__DISK__MAX_BYTES: String(bound),
      KEDGE_EDGE__DISK__WAL_BYTES: String(512 * 1024),
      KEDGE_EDGE__DISK__LOG_BYTES: String(256 * 1024),
      KEDGE_EDGE__DISK__RESERVE_BYTES: String(512 * 1024),
      KEDGE_EDGE__DISK__CHECK_INTERVAL_MS: '500',
      KEDGE_EDGE__DISK__TRUNCATE_INTERVAL_MS: '500',
    });
    t.proxy.cut();
    t.mapper.start(TICK_MS);
    let maxUsed = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      maxUsed = Math.max(maxUsed, treeBytes(join(fs.path, 'edge')));
      samples++;
    }, 100);
    cleanups.push(() => clearInterval(sampler));
    await waitFor(
      async () => (await metric(t.metrics, 'kedge_outbox_dropped_readings_total{cause="disk"}')) > 0,
      'readings dropped at the bound',
      60_000,
      [t.edge],
    );
    await sleep(5000);
    clearInterval(sampler);
    await t.mapper.stop();
    const dropped = await metric(t.metrics, 'kedge_outbox_dropped_readings_total{cause="disk"}');
    const health = await healthz(t.s.apiPort);
    expect(t.edge.running).toBe(true);
    expect(maxUsed).toBeLessThanOrEqual(bound);
    expect(health.body.store.disk.limitBytes).toBe(bound);
    t.proxy.restore();
    const { delivered, missingAcked } = await accountFor(t, dropped);
    reportFigures('disk bound (edge.disk.maxBytes 5 MiB on a 32 MiB tmpfs)', {
      boundBytes: bound,
      maxDataDirBytes: maxUsed,
      samples,
      ackedReadings: t.mapper.ackedReadings,
      droppedReadings: dropped,
      deliveredReadings: delivered,
      ackedButDropped: missingAcked,
    });
  });
});
