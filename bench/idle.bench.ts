/**
 * Fixed costs: the CPU time each kedge process uses per second with nothing to do (cloud + edge, no
 * devices), then with a few devices at a plant-typical rate (default 10 devices x 10 registers every
 * second = 100 readings/s: the lowest row of issue 20's table). CPU is utime + stime from
 * /proc/<pid>/stat, so it measures what the processes spend, not how fast a loaded machine runs them.
 *
 *   npm run build && npx tsx bench/idle.bench.ts [--seconds 60] [--settle 20] [--devices 10] [--props 10] [--cycle 1000] [--write]
 *
 * Each phase waits `--settle` s (start-up, the first poll, V8's first optimizations), then measures
 * `--seconds` s. The mapper is Edged's child process (`--mappers process`, the default).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort, portAnswers } from '../src/demo/ports.js';
import { edgeSetup, KedgeProcess, tempDir, waitFor } from '../hil-tests/e2e/harness/processes.js';
import { CloudSubscriber } from '../hil-tests/e2e/harness/subscriber.js';
import { writeResultsSubsection } from './results-file.js';
import { childPids, cpuMs, e2eDevicesYaml, spawnBenchKedge, startBenchCloud, startBenchEdge } from './e2e-support.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const SECONDS = Number(opt('seconds', '60'));
const SETTLE_S = Number(opt('settle', '20'));
const DEVICES = Number(opt('devices', '10'));
const PROPS = Number(opt('props', '10'));
const CYCLE = Number(opt('cycle', '1000'));
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Phase {
  name: string;
  seconds: number;
  load: [number, number];
  readings: number;
  procs: Record<string, { cpuMsPerS: number; rssMb: number }>;
}

async function measure(name: string, pids: () => Record<string, number[]>, count: () => number): Promise<Phase> {
  const before = pids();
  const cpu = (p: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(p).map(([k, list]) => [k, list.reduce((n, pid) => n + cpuMs(pid), 0)]));
  const c0 = cpu(before);
  const r0 = count();
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  await sleep(SECONDS);
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpu(before);
  const procs = Object.fromEntries(
    Object.entries(before).map(([k, list]) => [
      k,
      { cpuMsPerS: (c1[k]! - c0[k]!) / seconds, rssMb: list.reduce((n, pid) => n + rssMb(pid), 0) },
    ]),
  );
  return { name, seconds, load: [load0, loadavg()[0]!], readings: count() - r0, procs };
}

const dir = tempDir('kedge-bench-idle-');
let cloud: Awaited<ReturnType<typeof startBenchCloud>> | undefined;
let edge: KedgeProcess | undefined;
let sim: KedgeProcess | undefined;
let sub: CloudSubscriber | undefined;
const phases: Phase[] = [];
let received = 0;
const pids = () => ({
  cloud: [cloud!.proc.child.pid!],
  edge: [edge!.child.pid!],
  mapper: childPids(edge!.child.pid!),
});
try {
  cloud = await startBenchCloud('dist', join(dir.path, 'cloud'));
  sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
  sub.telemetry.push = (...msgs) => {
    for (const m of msgs) received += m.readings.length;
    return 0;
  };
  const setup = await edgeSetup('idle-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process');
  edge = await startBenchEdge('dist', setup);
  log(`no devices: settling ${SETTLE_S} s, measuring ${SECONDS} s`);
  await sleep(SETTLE_S);
  phases.push(await measure('no devices', pids, () => received));
  if (DEVICES > 0) await withDevices(setup.node);
} finally {
  for (const p of [sim, edge, cloud?.proc]) await p?.stop().catch(() => undefined);
  await sub?.close().catch(() => undefined);
  dir.remove();
}

async function withDevices(node: string): Promise<void> {
  const simPort = await freePort();
  const file = join(dir.path, 'devices.yaml');
  writeFileSync(file, e2eDevicesYaml(node, DEVICES, PROPS, CYCLE, simPort));
  sim = new KedgeProcess('sim', spawnBenchKedge('dist', ['sim', 'modbus', '--model', file, '--tcp', String(simPort)]));
  await waitFor(() => portAnswers(simPort), 'the simulator', 60_000, [sim]);
  const apply = new KedgeProcess('apply', spawnBenchKedge('dist', ['apply', '-f', file, '--server', cloud!.api]));
  if ((await new Promise<number | null>((resolve) => apply.child.once('close', resolve))) !== 0)
    throw new Error(`apply failed: ${apply.output}`);
  await waitFor(() => received > 0, 'the first readings at the consumer', 60_000, [edge!, cloud!.proc, sim]);
  log(`${DEVICES} devices x ${PROPS} registers every ${CYCLE} ms: settling ${SETTLE_S} s, measuring ${SECONDS} s`);
  await sleep(SETTLE_S);
  phases.push(await measure(`${DEVICES} devices x ${PROPS} registers every ${CYCLE} ms`, pids, () => received));
}

const f = (x: number, d = 1) => x.toFixed(d);
const rows = phases.map((p) => {
  const total = Object.values(p.procs).reduce((n, v) => n + v.cpuMsPerS, 0);
  const perK = p.readings > 0 ? ` (${f((total * p.seconds * 1000) / p.readings)} ms per 1,000 readings)` : '';
  const each = Object.entries(p.procs)
    .map(([k, v]) => `${k} ${f(v.cpuMsPerS, 2)} ms/s, ${f(v.rssMb, 0)} MB`)
    .join('; ');
  return `| ${p.name} | ${f(p.readings / p.seconds, 0)} | ${f(total, 2)}${perK} | ${each} | ${f(p.load[0])} / ${f(p.load[1])} |`;
});
const table = [
  '| phase | readings/s at the consumer | CPU ms per second, all processes | per process: CPU ms/s, RSS | load (1 min) before / after |',
  '|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
if (args.includes('--write')) {
  writeResultsSubsection(
    '## Fixed costs',
    'bench/idle.bench.ts',
    `Measured ${new Date().toISOString().slice(0, 16)} UTC`,
    `- command: \`npm run build && npx tsx bench/idle.bench.ts --seconds ${SECONDS} --settle ${SETTLE_S} --devices ${DEVICES} --props ${PROPS} --cycle ${CYCLE} --write\`\n\n${table}`,
  );
}
