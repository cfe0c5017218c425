/**
 * SD card wear (issue 19): bytes written to the block device per 1,000 readings by a gateway-sized
 * edge (bench/footprint-support.ts: 100 Modbus devices x 10 float properties, half of them
 * `reportToCloud`, the mapper a child process, the systemd unit's environment), with the cloud
 * connected (telemetry acknowledged and deleted from the outbox) or during a cloud outage (the
 * cloud stopped after the devices reached the edge: the outbox only grows).
 *
 *   npm run build && sudo npx tsx bench/edge-disk.bench.ts [--seconds 120] [--warmup 40] [--cycle 1000] [--outage] [--label text] [--wal-breakdown]
 *
 * Prints a table row; bench/RESULTS.md "SD card writes (issue 19)" holds the figures.
 *
 * `--cycle` is the devices' collectCycle in ms: 1000 gives 1,000 readings/s, 10000 gives 100/s.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBreakdown, walBreakdown, walMark } from './wal-breakdown.js';
import {
  apply,
  edgeMetric,
  footprintDevices,
  loadAverage,
  LoopDisk,
  procIo,
  processedReadings,
  requireDist,
  sleep,
  startCloud,
  startEdge,
  startSineSim,
  waitFor,
} from './footprint-support.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    warmup: { type: 'string', default: '40' },
    cycle: { type: 'string', default: '1000' },
    outage: { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
    'wal-breakdown': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const CYCLE = Number(args.cycle);
const DEVICES = 100;
const PROPS = 10;
const NODE = 'gw-1';

requireDist();
const loop = LoopDisk.available() ? LoopDisk.create() : undefined;
const work = mkdtempSync(join(tmpdir(), 'kedge-bench-disk-'));
const edgeDir = join(loop?.mount ?? work, 'edge');
const { sim, port: simPort } = await startSineSim(DEVICES, PROPS);
const cloud = await startCloud(join(work, 'cloud'));
let edge: Awaited<ReturnType<typeof startEdge>> | undefined;
try {
  edge = await startEdge({ node: NODE, dataDir: edgeDir, cloudUrl: `ws://127.0.0.1:${cloud.hub}` });
  await apply(cloud.api, footprintDevices(NODE, DEVICES, PROPS, simPort, CYCLE));
  const api = edge.apiPort;
  await waitFor(async () => (await processedReadings(api)) > 0, 'readings at the edge', 120_000, [edge.proc]);
  await sleep(WARMUP * 1000);
  if (args.outage) {
    await cloud.proc.stop();
    await sleep(2000);
  }
  const mark = args['wal-breakdown'] ? walMark(join(edgeDir, 'edge.db')) : undefined;
  const load0 = loadAverage();
  const at0 = {
    block: loop?.writtenBytes(),
    io: procIo(edge.proc.pid).writeBytes,
    readings: await processedReadings(api),
    commits: await edgeMetric(api, 'kedge_edge_store_commits_total'),
    t: Date.now(),
  };
  for (let s = 0; s < SECONDS; s += 10) {
    await sleep(Math.min(10, SECONDS - s) * 1000);
    if (!edge.proc.running) throw new Error(`the edge exited:\n${edge.proc.output.slice(-3000)}`);
  }
  const at1 = {
    block: loop?.writtenBytes(),
    io: procIo(edge.proc.pid).writeBytes,
    readings: await processedReadings(api),
    commits: await edgeMetric(api, 'kedge_edge_store_commits_total'),
    t: Date.now(),
  };
  if (args['wal-breakdown']) process.stdout.write(`${formatBreakdown(walBreakdown(join(edgeDir, 'edge.db'), mark))}\n`);
  const outbox = await edgeMetric(api, 'kedge_outbox_messages');
  const outboxBytes = await edgeMetric(api, 'kedge_outbox_bytes');
  const size = (f: string) => {
    try {
      return statSync(join(edgeDir, f)).size;
    } catch {
      return 0;
    }
  };
  const readings = at1.readings - at0.readings;
  const secs = (at1.t - at0.t) / 1000;
  const per1000 = (bytes: number) => (bytes / readings) * 1000;
  const block = at0.block === undefined ? undefined : at1.block! - at0.block;
  const io = at1.io - at0.io;
  const perDay = (bytes: number) => `${(((bytes / secs) * 86400) / 1e9).toFixed(2)} GB`;
  const row = [
    args.label || '-',
    args.outage ? 'outage (cloud stopped)' : 'connected',
    `${Math.round(readings / secs).toLocaleString('en')}/s`,
    block === undefined ? '- (not root)' : `**${Math.round(per1000(block)).toLocaleString('en')} B**`,
    `${Math.round(per1000(io)).toLocaleString('en')} B`,
    block === undefined ? perDay(io) : perDay(block),
    `${((at1.commits - at0.commits) / secs).toFixed(1)}/s`,
    `${outbox.toLocaleString('en')} (${(outboxBytes / 1048576).toFixed(1)} MB)`,
    `${(size('edge.db') / 1048576).toFixed(1)} + ${(size('edge.db-wal') / 1048576).toFixed(1)} MB`,
    load0,
  ];
  const line = `| ${row.join(' | ')} |`;
  const header = [
    `${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; ${SECONDS} s window after ${WARMUP} s of warm-up; data dir on ${loop ? `ext4 (noatime) on ${loop.device}` : 'the ordinary disk (not root: write_bytes only)'}.`,
    '',
    '| build | cloud | readings | block device per 1,000 readings | edge write_bytes per 1,000 | per day (block) | commits | outbox at the end | edge.db + WAL | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|',
    line,
  ].join('\n');
  process.stdout.write(`${header}\n`);
} finally {
  await edge?.proc.stop();
  await cloud.proc.stop();
  await sim.stop();
  loop?.remove();
  rmSync(work, { recursive: true, force: true });
}
