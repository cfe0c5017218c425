/**
 * What the secure link costs: the same cloud, edge and load over mutual TLS (wss://, the default)
 * and over the lab link (`--insecure-link`, ws://), in alternating runs (insecure, secure,
 * insecure, secure): CPU of the cloud and of the edge per 1,000 readings delivered to a consumer,
 * their RSS, and the time to open a link (TCP + TLS handshake + WebSocket upgrade + CloudHub's
 * checks) and a TLS handshake alone. The readings come from a synthetic mapper (QoS 1 data/update
 * on the edge broker), so the figures hold the edge and the cloud, not a protocol driver.
 *
 *   npm run build && npx tsx bench/tls.bench.ts [seconds=20] [rounds=2]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { freePort } from '../src/demo/ports.js';
import { writeCounterDevices } from '../hil-tests/e2e/harness/counter-devices.js';
import { edgeSetup, httpOk, KedgeProcess, tempDir, waitFor } from '../hil-tests/e2e/harness/processes.js';
import { CloudSubscriber } from '../hil-tests/e2e/harness/subscriber.js';
import { SyntheticMapper } from '../hil-tests/e2e/harness/synthetic-mapper.js';
import { cpuMs, percentile, spawnBenchKedge } from './e2e-support.js';
import { writeResultsSubsection } from './results-file.js';

const SECONDS = Number(process.argv[2] ?? 20);
const ROUNDS = Number(process.argv[3] ?? 2);
const DEVICES = 20;
const TICK_MS = 20; // 20 devices x 2 properties x 50 ticks/s = 2,000 readings/s
const CONNECTS = 40;
const NODE = 'tls-bench';

interface RunResult {
  secure: boolean;
  readings: number;
  cloudCpuPerK: number;
  edgeCpuPerK: number;
  cloudRssMb: number;
  edgeRssMb: number;
  openMs: { p50: number; p95: number };
  handshakeMs: { p50: number; p95: number };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function run(cmd: string[], what: string): Promise<string> {
  const p = new KedgeProcess(what, spawnBenchKedge('dist', cmd));
  const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
  if (code !== 0) throw new Error(`${what} failed: ${p.output}`);
  return p.output;
}

async function once(secure: boolean): Promise<RunResult> {
  const dir = tempDir('kedge-bench-tls-');
  const procs: KedgeProcess[] = [];
  try {
    const ports = { hub: await freePort(), api: await freePort(), mqtt: await freePort(), join: await freePort() };
    const cloud = new KedgeProcess(
      'cloud',
      spawnBenchKedge('dist', [
        'cloud',
        '--data-dir',
        join(dir.path, 'cloud'),
        '--hub-host',
        '127.0.0.1',
        '--hub-port',
        `${ports.hub}`,
        '--api-port',
        `${ports.api}`,
        '--mqtt-port',
        `${ports.mqtt}`,
        ...(secure ? ['--join-port', `${ports.join}`] : ['--insecure-link']),
      ]),
    );
    procs.push(cloud);
    const api = `http://127.0.0.1:${ports.api}`;
    await waitFor(() => httpOk(`${api}/healthz`), 'the cloud API', 60_000, [cloud]);
    const hubUrl = `${secure ? 'wss' : 'ws'}://127.0.0.1:${ports.hub}`;
    const joinNode = async (node: string) => {
      const res = await fetch(`${api}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ttlMs: 3_600_000, uses: 1 }),
      });
      const { token } = (await res.json()) as { token: string };
      const args = ['--cloud', hubUrl, '--join-port', `${ports.join}`, '--token', token, '--node', node];
      await run(['edge', 'join', ...args, '--data-dir', join(dir.path, node)], `join ${node}`);
    };
    if (secure) await Promise.all([joinNode(NODE), joinNode('probe')]);
    const file = join(dir.path, 'devices.yaml');
    const devices = writeCounterDevices(file, NODE, DEVICES);
    await run(['apply', '-f', file, '--server', api], 'apply');
    const setup = await edgeSetup(NODE, join(dir.path, NODE), hubUrl, 'none');
    const edge = new KedgeProcess(
      'edge',
      spawnBenchKedge('dist', [
        'edge',
        '--node',
        NODE,
        '--data-dir',
        setup.dataDir,
        '--cloud',
        hubUrl,
        '--mqtt-port',
        `${setup.mqttPort}`,
        '--api-port',
        `${setup.apiPort}`,
        '--mappers',
        'none',
      ]),
    );
    procs.push(edge);
    const sub = await CloudSubscriber.connect(ports.mqtt, ['kedge/telemetry/#']);
    const mapper = new SyntheticMapper(devices, ['a', 'b'], setup);
    mapper.start(TICK_MS);
    try {
      await waitFor(() => sub.telemetry.length > 0, 'telemetry at the consumer', 90_000, [edge, cloud]);
      await new Promise((r) => setTimeout(r, 5000)); // warm-up: JIT, first batches
      const pids = { cloud: cloud.child.pid!, edge: edge.child.pid! };
      const count = () => sub.telemetry.reduce((n, m) => n + m.readings.length, 0);
      const [c0, e0, r0] = [cpuMs(pids.cloud), cpuMs(pids.edge), count()];
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const [c1, e1, r1] = [cpuMs(pids.cloud), cpuMs(pids.edge), count()];
      const readings = r1 - r0;
      const perK = (ms: number) => (ms / readings) * 1000;
      const rss = { cloud: rssMb(pids.cloud), edge: rssMb(pids.edge) };
      const tls = secure ? probeTls(join(dir.path, 'probe', 'pki')) : undefined;
      const open = await timeConnects(`${hubUrl}/kedge/probe/events`, tls);
      const handshake = secure ? await timeHandshakes(ports.hub, tls!) : { p50: 0, p95: 0 };
      return {
        secure,
        readings,
        cloudCpuPerK: perK(c1 - c0),
        edgeCpuPerK: perK(e1 - e0),
        cloudRssMb: rss.cloud,
        edgeRssMb: rss.edge,
        openMs: open,
        handshakeMs: handshake,
      };
    } finally {
      await mapper.stop();
      await sub.close();
    }
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    dir.remove();
  }
}

function probeTls(pki: string): { cert: string; key: string; ca: string } {
  const read = (f: string) => readFileSync(join(pki, f), 'utf8');
  return { cert: read('node.crt'), key: read('node.key'), ca: read('ca.crt') };
}

/** Sequential opens of a link as the node `probe`, until the upgrade answered (101). */
async function timeConnects(url: string, tls: object | undefined): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < CONNECTS; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { ...(tls ?? {}), handshakeTimeout: 10_000 });
      ws.once('open', () => {
        times.push(performance.now() - t0);
        ws.once('close', () => resolve());
        ws.close();
      });
      ws.once('error', reject);
    });
  }
  return summary(times);
}

/** Sequential TLS handshakes with the node certificate (no HTTP). */
async function timeHandshakes(port: number, tls: object): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < CONNECTS; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...tls }, () => {
        times.push(performance.now() - t0);
        s.end();
        resolve();
      });
      s.once('error', reject);
    });
  }
  return summary(times);
}

function summary(times: number[]): { p50: number; p95: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const load0 = loadavg()[0]!;
const results: RunResult[] = [];
for (let r = 0; r < ROUNDS; r++) for (const secure of [false, true]) results.push(await once(secure));
const load1 = loadavg()[0]!;

const n = (v: number, d = 1) => v.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
const rows = results.map(
  (r, i) =>
    `| ${Math.floor(i / 2) + 1} | ${r.secure ? 'mTLS (wss://)' : 'lab (ws://)'} | ${r.readings.toLocaleString('en')} | ${n(r.cloudCpuPerK, 2)} | ${n(r.edgeCpuPerK, 2)} | ${n(r.cloudRssMb, 0)} / ${n(r.edgeRssMb, 0)} | ${n(r.openMs.p50)} / ${n(r.openMs.p95)} | ${r.secure ? `${n(r.handshakeMs.p50)} / ${n(r.handshakeMs.p95)}` : '-'} |`,
);
const mean = (secure: boolean, f: (r: RunResult) => number) => {
  const xs = results.filter((r) => r.secure === secure).map(f);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};
const ratio = (f: (r: RunResult) => number) => (mean(true, f) / mean(false, f) - 1) * 100;
const body = [
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}, dist/. Command: \`npm run build && npx tsx bench/tls.bench.ts ${SECONDS} ${ROUNDS}\`. Load: ${DEVICES} devices x 2 properties x ${1000 / TICK_MS} ticks/s = ${((DEVICES * 2 * 1000) / TICK_MS).toLocaleString('en')} readings/s offered by a synthetic mapper (QoS 1 data/update), ${SECONDS} s measured per run after 5 s of warm-up; runs alternate lab link and mTLS. Machine load (1-min load average) before/after: ${n(load0)} / ${n(load1)} on ${cpus().length} cores (other engineers' tests shared the cores: CPU per reading is less sensitive to that than wall time, but compare the paired rows, not single figures).`,
  '',
  '| round | link | readings delivered | cloud CPU ms / 1,000 readings | edge CPU ms / 1,000 readings | RSS cloud / edge MB | link open p50 / p95 ms | TLS handshake p50 / p95 ms |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `- mTLS against the lab link, mean of the rounds: cloud CPU per reading ${ratio((r) => r.cloudCpuPerK) >= 0 ? '+' : ''}${n(
    ratio((r) => r.cloudCpuPerK),
    0,
  )} %, edge ${ratio((r) => r.edgeCpuPerK) >= 0 ? '+' : ''}${n(
    ratio((r) => r.edgeCpuPerK),
    0,
  )} %, cloud RSS ${n(mean(true, (r) => r.cloudRssMb) - mean(false, (r) => r.cloudRssMb), 0)} MB, edge RSS ${n(mean(true, (r) => r.edgeRssMb) - mean(false, (r) => r.edgeRssMb), 0)} MB.`,
  `- Link open: ${CONNECTS} sequential connections of a second node (\`probe\`) while the load runs: TCP, TLS 1.3 with an ECDSA P-256 client certificate, the WebSocket upgrade and CloudHub's checks (certificate, revocation, node name). TLS handshake alone: \`tls.connect\` with the node certificate to the hub port.`,
].join('\n');
writeResultsSubsection('## Secure link (TLS) cost', 'bench/tls.bench.ts', 'mTLS link against the lab link', body);
console.log(body);
