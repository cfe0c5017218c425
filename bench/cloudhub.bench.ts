/**
 * CloudHub holding many edge nodes: N simulated nodes (a child process) connect to a whole
 * `kedge cloud` (store, controllers, CloudHub, API, embedded MQTT) and send a keepalive every
 * 15 s; the cloud must keep every node ready (no keepalive timeout) while we measure its RSS per
 * connection and its CPU in the steady state.
 *
 *   npx tsx bench/cloudhub.bench.ts [connections=5000] [steadySeconds=60] [heartbeatMs=15000] [--write]
 *
 * `--write` puts the figures into the `## CloudHub` section of bench/RESULTS.md.
 */
import { fork } from 'node:child_process';
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCloudNode } from '../src/cloud/index.js';
import { loopbackCloudConfig } from '../src/cloud/testing/cloud-under-test.js';
import { createLogger } from '../src/core/log/index.js';
import { createMetricsRegistry } from '../src/core/metrics/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const nums = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const [connections = 5000, steadySeconds = 60, heartbeatMs = 15_000] = nums;
const write = process.argv.includes('--write');

const mb = (bytes: number) => bytes / 1024 / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const dataDir = mkdtempSync(join(tmpdir(), 'kedge-bench-cloudhub-'));
  const config = loopbackCloudConfig(dataDir);
  const registry = createMetricsRegistry();
  const cloud = createCloudNode(config, { logger: createLogger({ level: 'error', pretty: false }), registry });
  await cloud.start();
  await sleep(500);
  const baseline = rssAfterGc();
  const started = Date.now();
  const child = fork(
    fileURLToPath(new URL('./cloudhub-clients.ts', import.meta.url)),
    [String(cloud.ports.hub), String(connections), String(heartbeatMs)],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  let stats = { open: 0, closed: 0, errors: 0, heartbeats: 0, downstream: 0 };
  const connected = new Promise<{ open: number; errors: number }>((resolve) =>
    child.on('message', (m: { type: string } & typeof stats) => {
      if (m.type === 'connected') resolve(m);
      if (m.type === 'stats') stats = m;
    }),
  );
  const c = await connected;
  const connectSeconds = (Date.now() - started) / 1000;
  const readyNodes = async () => (await cloud.bus.request('nodes.list', {}, 60_000)).filter((n) => n.ready).length;
  for (let i = 0; i < 600 && (await readyNodes()) < connections; i++) await sleep(100);
  const readyAfterConnect = await readyNodes();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let peakRss = 0;
  for (let s = 0; s < steadySeconds; s++) {
    await sleep(1000);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const steadyRss = rssAfterGc();
  const heap = process.memoryUsage().heapUsed;
  const readyAtEnd = await readyNodes();
  const metrics = await registry.getMetricsAsJSON();
  const metric = (name: string) =>
    (metrics.find((m) => m.name === name)?.values ?? []).reduce((a, v) => a + Number(v.value), 0);
  const timeouts = metric('kedge_cloudhub_keepalive_timeouts_total');
  const framesIn = metric('kedge_cloudhub_frames_total');
  child.send({ type: 'stop' });
  await new Promise((r) => child.once('exit', r));
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const cpuMs = (cpu.user + cpu.system) / 1000;
  const result = {
    connections,
    opened: c.open,
    clientErrors: c.errors,
    connectSeconds,
    readyAfterConnect,
    readyAtEnd,
    timeouts,
    framesIn,
    heartbeatsSent: stats.heartbeats,
    downstreamAcked: stats.downstream,
    baselineMb: mb(baseline),
    steadyMb: mb(steadyRss),
    peakMb: mb(peakRss),
    heapMb: mb(heap),
    perConnKb: (steadyRss - baseline) / 1024 / connections,
    cpuPercent: (cpuMs / wallMs) * 100,
    steadySeconds,
    heartbeatMs,
    loadAverage: loadAtStart,
  };
  console.log(JSON.stringify(result, null, 2));
  if (write) writeResults(result);
}

function writeResults(r: Record<string, number>): void {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const nproc = execSync('nproc').toString().trim();
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const section = [
    '## CloudHub',
    '',
    `A whole \`kedge cloud\` (SQLite store, DeviceController, EdgeController writing a Node object per node, CloudHub, HTTP API, embedded MQTT) holding ${fmt(r.connections!)} simulated edge nodes over WebSocket on loopback; the nodes run in a child process and each sends a keepalive every ${fmt(r.heartbeatMs! / 1000)} s (phases spread over the interval), keepalive timeout 30 s.`,
    '',
    `- command: \`npx tsx bench/cloudhub.bench.ts ${r.connections} ${r.steadySeconds} ${r.heartbeatMs}\``,
    `- connected: ${fmt(r.opened!)} of ${fmt(r.connections!)} in ${fmt(r.connectSeconds!, 1)} s (${fmt(r.clientErrors!)} client errors); ready in the API: ${fmt(r.readyAfterConnect!)} after connecting, ${fmt(r.readyAtEnd!)} after ${r.steadySeconds} s steady state; keepalive timeouts: ${fmt(r.timeouts!)}`,
    `- frames received: ${fmt(r.framesIn!)} (${fmt(r.heartbeatsSent!)} keepalives sent by the nodes, as the child last reported them, once a second)`,
    `- cloud RSS: ${fmt(r.baselineMb!, 1)} MB before the nodes, ${fmt(r.steadyMb!, 1)} MB holding them (after GC; peak ${fmt(r.peakMb!, 1)} MB), heap used ${fmt(r.heapMb!, 1)} MB: **${fmt(((r.peakMb! - r.baselineMb!) * 1024) / r.connections!, 1)} KB RSS per connection at the peak** (upper bound; ${fmt(r.perConnKb!, 1)} KB after GC, which depends on what the allocator gives back)`,
    `- cloud CPU in the steady state: ${fmt(r.cpuPercent!, 2)} % of one core (heartbeats and the coalesced Node status writes)`,
    `- node ${process.version}, ${nproc} cores (nproc ${nproc}), ${cpu}; 1-minute load average before the run ${fmt(r.loadAverage!, 1)} (other work on the machine shares these cores)`,
    `- measured: ${new Date().toISOString().slice(0, 10)}`,
    '',
  ].join('\n');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const re = /## CloudHub\n[\s\S]*?(?=\n## |$)/;
  const next = re.test(text) ? text.replace(re, `${section.trimEnd()}\n`) : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(file, next);
}

await main();
