/**
 * Modbus mapper benchmark: D devices x R registers polled every T ms from the simulator over TCP.
 *   npm run build && npx tsx bench/modbus.bench.ts [--devices 100 --registers 50 --period 500 --seconds 20 --warmup 30]
 *     [--unit] [--node-args="FLAGS"] [--metrics] [--metrics-interval MS] [--tsx] [--mem] [--cpu-prof DIR] [--heap-snapshot DIR] [--mapper-log FILE]
 * The simulator (`kedge sim modbus`) and the mapper run as child processes, the aedes broker and
 * a subscriber counting readings in this one. The mapper is started the way Edged starts it:
 * `node <MAPPER_NODE_FLAGS> bin/kedge.js mapper ...` over dist/, no --metrics-port. `--unit` gives it the environment
 * of deploy/systemd/kedge-edge.service (its NODE_OPTIONS and MALLOC_ARENA_MAX, read from the file),
 * which Edged's mapper children inherit in production. Prints requests per device cycle against
 * the planner's minimum, readings/s delivered to MQTT, the mapper's CPU per 1,000 readings
 * (utime+stime from /proc/<pid>/stat) and its peak RSS (VmHWM from /proc/<pid>/status).
 * `--metrics` adds --metrics-port (to read skipped cycles: prom-client then loads in the mapper);
 * `--mem` prints the mapper's heap after a full GC at the end; `--cpu-prof`/`--heap-snapshot`
 * write V8 profiles of the mapper into DIR.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { edgeFilters, edgeTopics, MAPPER_NODE_FLAGS, type RawData } from '../src/contracts/index.js';
import { validateFiles } from '../src/model/index.js';
import { planDevice, requestsPerCycle } from '../mappers/modbus/poller-plan.js';
import { overTcp } from '../hil-tests/modbus/model-target.js';
import { freePort, startAedes } from '../hil-tests/support/brokers.js';
import { root, spawnKedge } from '../hil-tests/support/kedge-process.js';
import { TestClient } from '../hil-tests/support/mqtt-client.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    registers: { type: 'string', default: '50' },
    period: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    // 30 s: V8 still optimizes the per-poll functions 10-17 s after start (--trace-opt), and a
    // mapper runs for days: the window measures the steady state. `--warmup 5` gives the first minute.
    warmup: { type: 'string', default: '30' },
    // Run the mapper from TypeScript through tsx instead of compiled JS (how it ships: dist/).
    tsx: { type: 'boolean', default: false },
    unit: { type: 'boolean', default: false },
    metrics: { type: 'boolean', default: false },
    // The mapper's --metrics-interval (its push of metrics to the edge; 0: none). Default: the
    // mapper's own (15 s), as Edged starts it.
    'metrics-interval': { type: 'string' },
    mem: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    // Extra node flags for the mapper (e.g. V8 GC flags to evaluate), after the unit's.
    'node-args': { type: 'string', default: '' },
    // Writes the mapper's stdout and stderr (e.g. --trace-gc lines) to this file.
    'mapper-log': { type: 'string' },
  },
});
const D = Number(args.devices);
const R = Number(args.registers);
const T = Number(args.period);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ENTRY = join(root, 'hil-tests/support/cli-entry.ts');
const KEDGE_BIN = join(root, 'bin/kedge.js');

/** NODE_OPTIONS and MALLOC_ARENA_MAX as the systemd unit sets them (so the figures follow the file). */
async function unitEnvironment(): Promise<Record<string, string>> {
  const unit = await readFile(join(root, 'deploy/systemd/kedge-edge.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(NODE_OPTIONS|MALLOC_ARENA_MAX)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

// Preloaded into the mapper by --mem: on SIGUSR2, a full GC, then the heap and RSS on stderr.
const MEM_REPORT = `data:text/javascript,${encodeURIComponent(`
import v8 from 'node:v8';
process.on('SIGUSR2', () => {
  const mb = (n) => (n / 1048576).toFixed(1);
  const spaces = () => v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => s.space_name.replace('_space', '') + ' ' + mb(s.space_size) + '/' + mb(s.space_used_size)).join(', ');
  const before = process.memoryUsage();
  const spacesBefore = spaces();
  globalThis.gc();
  const after = process.memoryUsage();
  process.stderr.write('MEM rss ' + mb(before.rss) + ', heap total ' + mb(before.heapTotal) + ' used ' + mb(before.heapUsed) + ' (' + spacesBefore + '), after a full GC used ' + mb(after.heapUsed) + ' (' + spaces() + '), external ' + mb(after.external) + ' MB\\n');
});
`)}`;

/** How the mapper process is started: node flags, environment, entry. */
async function mapperLaunch(): Promise<{
  entry: string;
  nodeArgs: string[];
  env: Record<string, string>;
  plain: boolean;
  description: string;
}> {
  const env = args.unit ? await unitEnvironment() : {};
  // The node flags Edged gives every mapper (src/contracts/mapper-process.ts), then any extra ones.
  const nodeArgs = [...MAPPER_NODE_FLAGS, ...args['node-args'].split(' ').filter((a) => a !== '')];
  if (args.mem) nodeArgs.push('--expose-gc', '--import', MEM_REPORT);
  if (args['cpu-prof']) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', args['cpu-prof']);
  if (args['heap-snapshot']) nodeArgs.push('--heapsnapshot-signal=SIGUSR1', '--diagnostic-dir', args['heap-snapshot']);
  const flags = [
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...MAPPER_NODE_FLAGS,
    ...args['node-args'].split(' ').filter((a) => a !== ''),
  ].join(' ');
  if (args.tsx) return { entry: ENTRY, nodeArgs, env, plain: false, description: `TypeScript through tsx (${flags})` };
  if (!existsSync(join(root, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  return {
    entry: KEDGE_BIN,
    nodeArgs,
    env,
    plain: true,
    description: `node bin/kedge.js mapper over dist/, as Edged starts it (${flags})`,
  };
}

/** Property k: every fifth a float32 (2 registers), the rest uint16; one unused register between. */
function layout(): Array<{ name: string; type: string; visitor: Record<string, unknown> }> {
  const props = [];
  let offset = 0;
  for (let k = 0; k < R; k++) {
    const float = k % 5 === 0;
    props.push({
      name: `r${k}`,
      type: float ? 'FLOAT' : 'INT',
      visitor: { register: 'HoldingRegister', offset, rawType: float ? 'float32' : 'uint16' },
    });
    offset += (float ? 2 : 1) + 1;
  }
  return props;
}

function modelYaml(): string {
  const props = layout();
  const docs: object[] = [
    {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'DeviceModel',
      metadata: { name: 'bench-meter', namespace: 'default' },
      spec: {
        protocol: 'modbus',
        properties: props.map((p) => ({
          name: p.name,
          type: p.type,
          accessMode: 'ReadOnly',
          minimum: 0,
          maximum: 1000,
        })),
      },
    },
  ];
  for (let i = 0; i < D; i++) {
    docs.push({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `meter-${i}`, namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'bench-meter' },
        nodeName: 'bench',
        protocol: {
          protocolName: 'modbus',
          configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 502, slaveID: (i % 247) + 1 },
        },
        properties: props.map((p) => ({
          name: p.name,
          collectCycle: T,
          reportCycle: T,
          visitors: { protocolName: 'modbus', configData: p.visitor },
        })),
      },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

function procStat(pid: number): Promise<{ cpuMs: number; sysMs: number }> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((text) => {
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return { cpuMs: (ticks * 1000) / 100, sysMs: (Number(fields[12]) * 1000) / 100 }; // USER_HZ is 100 on Linux
  });
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function skippedCycles(port: number): Promise<number> {
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return Number(/kedge_modbus_cycles_skipped_total (\d+)/.exec(metrics)?.[1] ?? 0);
}

async function memReport(mapper: ReturnType<typeof spawnKedge>): Promise<string> {
  mapper.child.kill('SIGUSR2');
  const [line] = await mapper.waitForOutput(/MEM [^\n]*/, 10_000);
  return line.slice(4);
}

async function heapSnapshot(mapper: ReturnType<typeof spawnKedge>, dir: string): Promise<void> {
  const before = new Set(await readdir(dir));
  mapper.child.kill('SIGUSR1');
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    const written = (await readdir(dir)).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (written.length > 0) {
      await sleep(2000); // the writer finishes the file after creating it
      process.stdout.write(`heap snapshot: ${join(dir, written[0]!)}\n`);
      return;
    }
  }
}

/** What a failed run must still stop (a mapper that never came up must not leave the simulator running). */
const cleanups: Array<() => Promise<unknown>> = [];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kedge-bench-modbus-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const modelFile = join(dir, 'bench.yaml');
  await writeFile(modelFile, modelYaml());
  const { instances } = await validateFiles([modelFile]);
  if (instances.length !== D) throw new Error(`model has ${instances.length} valid devices, expected ${D}`);

  const sim = spawnKedge(['sim', 'modbus', '--model', modelFile, '--tcp', '0'], { entry: ENTRY });
  cleanups.push(() => sim.stop());
  const [, host, port] = await sim.waitForOutput(/listening on modbus tcp (\S+):(\d+)/, 60_000);
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const client = await TestClient.connect(broker.url);
  cleanups.push(() => client.close());
  let readings = 0;
  let updates = 0;
  let lagSum = 0;
  client.client.on('message', (_topic, payload) => {
    const u = JSON.parse(payload.toString()) as RawData;
    updates += 1;
    readings += u.readings.length;
    lagSum += Date.now() - (u.readings[0]?.ts ?? Date.now());
  });
  await client.subscribe([edgeFilters.dataRaw]);
  const metricsPort = args.metrics ? await freePort() : undefined;
  const launch = await mapperLaunch();
  const mapperArgs = [
    'mapper',
    '--protocol',
    'modbus',
    '--mqtt-url',
    broker.url,
    '--node',
    'bench',
    '--name',
    'bench',
    '--data-dir',
    dir,
    '--log-level',
    'warn',
  ];
  if (metricsPort !== undefined) mapperArgs.push('--metrics-port', String(metricsPort));
  if (args['metrics-interval'] !== undefined) mapperArgs.push('--metrics-interval', args['metrics-interval']);
  const mapper = spawnKedge(mapperArgs, {
    entry: launch.entry,
    nodeArgs: launch.nodeArgs,
    env: launch.env,
    plain: launch.plain,
  });
  cleanups.push(() => mapper.stop());
  await sleep(1500);
  const devices = instances.map((d) => overTcp(d, host!, Number(port)));
  await client.publish(
    edgeTopics.mapperDevices('modbus'),
    { node: 'bench', protocol: 'modbus', version: 1, devices },
    { retain: true },
  );

  await sleep(WARMUP * 1000);
  const start = { ...(await procStat(mapper.pid)), readings, updates, lag: lagSum, at: Date.now() };
  await sleep(SECONDS * 1000);
  const end = { ...(await procStat(mapper.pid)), readings, updates, lag: lagSum, at: Date.now() };
  const rss = await peakRssMb(mapper.pid);
  const skipped = metricsPort === undefined ? undefined : await skippedCycles(metricsPort);
  const mem = args.mem ? await memReport(mapper) : undefined;
  if (args['heap-snapshot']) await heapSnapshot(mapper, args['heap-snapshot']);
  await mapper.stop();
  if (args['mapper-log']) await writeFile(args['mapper-log'], mapper.stdout() + mapper.stderr());
  await sim.stop();
  await client.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });

  const fcCounts = [...sim.stdout().matchAll(/FC3=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const minimum = requestsPerCycle(planDevice(devices[0]!));
  const seconds = (end.at - start.at) / 1000;
  const rate = (end.readings - start.readings) / seconds;
  const cpuPer1000 = ((end.cpuMs - start.cpuMs) / (end.readings - start.readings)) * 1000;
  const target = (D * R * 1000) / T;
  const lines = [
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}`,
    `mapper: ${launch.description}`,
    `load: ${D} devices x ${R} registers every ${T} ms = ${target} readings/s target; window ${seconds.toFixed(1)} s after ${WARMUP} s warm-up`,
    `requests per device cycle: ${(fcCounts / updates).toFixed(3)} (planner minimum ${minimum}; ${fcCounts} FC3 requests / ${updates} device cycles, whole run)`,
    `readings/s delivered to MQTT: ${rate.toFixed(0)} (${((rate / target) * 100).toFixed(1)} % of target)`,
    `backlog: ${skipped ?? 'n/a (--metrics reads it)'} skipped cycles; mean age of a reading on arrival ${((end.lag - start.lag) / (end.updates - start.updates)).toFixed(1)} ms`,
    `mapper CPU: ${cpuPer1000.toFixed(2)} ms per 1,000 readings (${(((end.cpuMs - start.cpuMs) / (seconds * 1000)) * 100).toFixed(1)} % of one core; of it in the kernel ${(((end.sysMs - start.sysMs) / (end.readings - start.readings)) * 1000).toFixed(2)} ms)`,
    `mapper peak RSS: ${rss.toFixed(1)} MB`,
    ...(mem ? [`mapper memory at the end: ${mem}`] : []),
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
}

await main().catch(async (err: unknown) => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  throw err;
});
