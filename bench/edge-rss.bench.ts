/**
 * Memory of `kedge edge` (`node bin/kedge.js edge` over the compiled dist/, as installed) with 100 Modbus devices of 10 float
 * properties each, polled every second from the Modbus simulator (1,000 readings/s): RSS of the
 * edge process, and of the mapper children in `--mappers process`.
 *
 *   npm run build && npx tsx bench/edge-rss.bench.ts [seconds=20] [--modes inprocess,process,none] [--write]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModbusSim } from '../mappers/modbus/sim/index.js';
import { freePort } from '../hil-tests/support/brokers.js';
import { benchDevice, benchModel, procIo, rssMb, writeEdgeSection } from './edge-bench-support.js';

const args = process.argv.slice(2);
const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const modesArg = args.indexOf('--modes');
const modes = (modesArg >= 0 ? args[modesArg + 1]! : 'inprocess,process,none').split(',');
/** Node flags for the edge process; `--max-semi-space-size=1` trades a little GC time for ~15 MB of RSS. */
const flagsArg = args.indexOf('--node-flags');
const nodeFlags = flagsArg >= 0 ? args[flagsArg + 1]!.split(' ').filter(Boolean) : [];
const DEVICES = 100;
const PROPS = 10;
const root = join(import.meta.dirname, '..');
/** What users run: `kedge edge` from bin/kedge.js over the compiled dist/ (`npm run build` first). */
const entry = join(root, 'bin', 'kedge.js');
if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')))
  throw new Error('dist/ is missing: run `npm run build` first');

const sim = new ModbusSim({ units: Array.from({ length: DEVICES }, (_, i) => i + 1) });
const { port: simPort } = await sim.listenTcp();
const rows: string[] = [];
for (const mode of modes) rows.push(await measure(mode));
await sim.stop();

const text = [
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; \`node bin/kedge.js edge\` (compiled dist/, as shipped), ${DEVICES} Modbus TCP devices x ${PROPS} float32 properties polled every 1 s from the simulator (1,000 readings/s when a mapper runs), ${seconds} s per mode; RSS sampled every second after the devices were applied; node flags: ${nodeFlags.length ? `\`${nodeFlags.join(' ')}\`` : 'none'}; MALLOC_ARENA_MAX: ${process.env.MALLOC_ARENA_MAX ?? 'unset'}.`,
  '',
  '| --mappers | edge RSS steady (median) | edge RSS max | edge heap total / used, external (end) | mapper children RSS | readings/s cleansed | edge bytes written per 1,000 readings (write_bytes) |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(`${text}\n`);
const arena = process.env.MALLOC_ARENA_MAX ? `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX} ` : '';
const title = `Memory (RSS), node flags: ${nodeFlags.join(' ') || 'none'}${arena ? `, ${arena.trim()}` : ''}`;
if (args.includes('--write'))
  writeEdgeSection(
    title,
    `${text}\n\nRun: \`npm run build && ${arena}npx tsx bench/edge-rss.bench.ts ${args.filter((a) => a !== '--write').join(' ')}\``,
  );

async function measure(mode: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-rss-'));
  const [mqtt, api, sb] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      entry,
      'edge',
      '--node',
      'bench',
      '--data-dir',
      dir,
      '--mqtt-port',
      String(mqtt),
      '--api-port',
      String(api),
      '--mappers',
      mode,
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, KEDGE_EDGE__SERVICEBUS_PORT: String(sb) },
    },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await waitHttp(api, child, () => err);
    const docs = [
      benchModel(PROPS),
      ...Array.from({ length: DEVICES }, (_, i) => withUnit(benchDevice(i, PROPS, simPort), i + 1)),
    ];
    const res = await fetch(`http://127.0.0.1:${api}/api/v1/apply`, {
      method: 'POST',
      body: JSON.stringify({ documents: docs }),
      headers: { 'content-type': 'application/json' },
    });
    if (!res.ok) throw new Error(`apply failed: ${await res.text()}`);
    const samples: number[] = [];
    let mapperRss = 0;
    const before = await processed(api);
    const io0 = procIo(child.pid!);
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(rssMb(child.pid!));
      mapperRss = Math.max(mapperRss, childrenRss(child.pid!));
    }
    const done = (await processed(api)) - before;
    const heap = await heapFigures(api);
    const io1 = procIo(child.pid!);
    const rate = Math.round(done / seconds);
    const per1000 =
      done > 0 ? `${Math.round(((io1.writeBytes - io0.writeBytes) / done) * 1000).toLocaleString('en')} B` : '-';
    const sorted = [...samples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return `| ${mode} | **${median.toFixed(1)} MB** | ${sorted.at(-1)!.toFixed(1)} MB | ${heap} | ${mode === 'process' ? `${mapperRss.toFixed(1)} MB` : '-'} | ${rate.toLocaleString('en')} | ${per1000} |`;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function withUnit<T extends { spec: { protocol: { configData: Record<string, unknown> } } }>(d: T, unit: number): T {
  d.spec.protocol.configData.slaveID = unit;
  return d;
}

async function processed(api: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${api}/metrics`)).text();
  return Number(/kedge_pipeline_readings_total\{outcome="processed",reason=""\} (\d+)/.exec(text)?.[1] ?? 0);
}

/** V8 heap committed / used and external memory (ArrayBuffers, Buffers) from prom-client's default metrics. */
async function heapFigures(api: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${api}/metrics`)).text();
  const mb = (name: string) =>
    (Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576).toFixed(1);
  return `${mb('kedge_nodejs_heap_size_total_bytes')} / ${mb('kedge_nodejs_heap_size_used_bytes')}, ${mb('kedge_nodejs_external_memory_bytes')} MB`;
}

function childrenRss(pid: number): number {
  let total = 0;
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) total += rssMb(Number(p));
    } catch {
      // gone
    }
  }
  return total;
}

async function waitHttp(port: number, child: ChildProcess, err: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`kedge edge exited ${child.exitCode}: ${err()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kedge edge did not answer on ${port}: ${err()}`);
}
