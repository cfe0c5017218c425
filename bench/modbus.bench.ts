/**
 * Modbus mapper benchmark: D devices x R registers polled every T ms from the simulator over TCP.
 *   npx tsx bench/modbus.bench.ts [--devices 100 --registers 50 --period 500 --seconds 20 --warmup 5]
 * The simulator (`kedge sim modbus`) and the mapper (`kedge mapper`) run as child processes, the
 * aedes broker and a subscriber counting readings in this one. Prints requests per device cycle
 * against the planner's minimum, readings/s delivered to MQTT, the mapper's CPU per 1,000 readings
 * (utime+stime from /proc/<pid>/stat) and its peak RSS (VmHWM from /proc/<pid>/status).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { edgeFilters, edgeTopics, type DataUpdate } from '../src/contracts/index.js';
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
    warmup: { type: 'string', default: '5' },
    // Run the mapper from TypeScript through tsx instead of compiled JS (how it ships: dist/).
    tsx: { type: 'boolean', default: false },
  },
});
const D = Number(args.devices);
const R = Number(args.registers);
const T = Number(args.period);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ENTRY = join(root, 'hil-tests/support/cli-entry.ts');
/** Compiled output for the mapper, removed at the end (inside the repo so node_modules resolve). */
const BUILD = join(root, 'bench/modbus.build.tmp');

/** Compiles src/ and mappers/ like `npm run build` does, plus an entry with the mapper command. */
async function buildMapper(): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', BUILD], { stdio: 'ignore' });
  } catch {
    // tsc exits 1 on type errors in files other engineers are still writing; it still emits.
  }
  const entry = join(BUILD, 'mapper-entry.js');
  await writeFile(entry, "import { Command } from 'commander';\nimport { registerMapper } from './src/cli/commands/mapper.js';\nconst p = new Command('kedge');\nregisterMapper(p);\nawait p.parseAsync(process.argv);\n");
  return entry;
}

/** Property k: every fifth a float32 (2 registers), the rest uint16; one unused register between. */
function layout(): Array<{ name: string; type: string; visitor: Record<string, unknown> }> {
  const props = [];
  let offset = 0;
  for (let k = 0; k < R; k++) {
    const float = k % 5 === 0;
    props.push({ name: `r${k}`, type: float ? 'FLOAT' : 'INT', visitor: { register: 'HoldingRegister', offset, rawType: float ? 'float32' : 'uint16' } });
    offset += (float ? 2 : 1) + 1;
  }
  return props;
}

function modelYaml(): string {
  const props = layout();
  const docs: object[] = [
    { apiVersion: 'devices.kubeedge.io/v1beta1', kind: 'DeviceModel', metadata: { name: 'bench-meter', namespace: 'default' }, spec: { protocol: 'modbus', properties: props.map((p) => ({ name: p.name, type: p.type, accessMode: 'ReadOnly', minimum: 0, maximum: 1000 })) } },
  ];
  for (let i = 0; i < D; i++) {
    docs.push({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `meter-${i}`, namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'bench-meter' },
        nodeName: 'bench',
        protocol: { protocolName: 'modbus', configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 502, slaveID: (i % 247) + 1 } },
        properties: props.map((p) => ({ name: p.name, collectCycle: T, reportCycle: T, visitors: { protocolName: 'modbus', configData: p.visitor } })),
      },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

function procStat(pid: number): Promise<{ cpuMs: number }> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((text) => {
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return { cpuMs: (ticks * 1000) / 100 }; // USER_HZ is 100 on Linux
  });
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kedge-bench-modbus-'));
  const modelFile = join(dir, 'bench.yaml');
  await writeFile(modelFile, modelYaml());
  const { instances } = await validateFiles([modelFile]);
  if (instances.length !== D) throw new Error(`model has ${instances.length} valid devices, expected ${D}`);

  const sim = spawnKedge(['sim', 'modbus', '--model', modelFile, '--tcp', '0'], { entry: ENTRY });
  const [, host, port] = await sim.waitForOutput(/listening on modbus tcp (\S+):(\d+)/, 60_000);
  const broker = await startAedes();
  const client = await TestClient.connect(broker.url);
  let readings = 0;
  let updates = 0;
  let lagSum = 0;
  client.client.on('message', (_topic, payload) => {
    const u = JSON.parse(payload.toString()) as DataUpdate;
    updates += 1;
    readings += u.readings.length;
    lagSum += Date.now() - (u.readings[0]?.ts ?? Date.now());
  });
  await client.subscribe([edgeFilters.dataUpdate]);
  const metricsPort = await freePort();
  const mapperEntry = args.tsx ? ENTRY : await buildMapper();
  const mapper = spawnKedge(['mapper', '--protocol', 'modbus', '--mqtt-url', broker.url, '--node', 'bench', '--name', 'bench', '--data-dir', dir, '--log-level', 'warn', '--metrics-port', String(metricsPort)], { entry: mapperEntry, ...(args.tsx ? {} : { nodeArgs: process.env.KEDGE_BENCH_NODE_ARGS ? process.env.KEDGE_BENCH_NODE_ARGS.split(' ') : [], plain: true }) });
  await sleep(1500);
  const devices = instances.map((d) => overTcp(d, host!, Number(port)));
  await client.publish(edgeTopics.mapperDevices('modbus'), { node: 'bench', protocol: 'modbus', version: 1, devices }, { retain: true });

  await sleep(WARMUP * 1000);
  const start = { ...(await procStat(mapper.pid)), readings, updates, lag: lagSum, at: Date.now() };
  await sleep(SECONDS * 1000);
  const end = { ...(await procStat(mapper.pid)), readings, updates, lag: lagSum, at: Date.now() };
  const rss = await peakRssMb(mapper.pid);
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
  const skipped = Number(/kedge_modbus_cycles_skipped_total (\d+)/.exec(metrics)?.[1] ?? 0);
  await mapper.stop();
  await sim.stop();
  await client.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
  await rm(BUILD, { recursive: true, force: true });

  const fcCounts = [...sim.stdout().matchAll(/FC3=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const minimum = requestsPerCycle(planDevice(devices[0]!));
  const seconds = (end.at - start.at) / 1000;
  const rate = (end.readings - start.readings) / seconds;
  const cpuPer1000 = ((end.cpuMs - start.cpuMs) / (end.readings - start.readings)) * 1000;
  const target = (D * R * 1000) / T;
  const lines = [
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}`,
    `mapper: ${args.tsx ? 'TypeScript through tsx' : 'compiled JS (as shipped in dist/)'}`,
    `load: ${D} devices x ${R} registers every ${T} ms = ${target} readings/s target; window ${seconds.toFixed(1)} s after ${WARMUP} s warm-up`,
    `requests per device cycle: ${(fcCounts / updates).toFixed(3)} (planner minimum ${minimum}; ${fcCounts} FC3 requests / ${updates} device cycles, whole run)`,
    `readings/s delivered to MQTT: ${rate.toFixed(0)} (${((rate / target) * 100).toFixed(1)} % of target)`,
    `backlog: ${skipped} skipped cycles; mean age of a reading on arrival ${((end.lag - start.lag) / (end.updates - start.updates)).toFixed(1)} ms`,
    `mapper CPU: ${cpuPer1000.toFixed(2)} ms per 1,000 readings (${(((end.cpuMs - start.cpuMs) / (seconds * 1000)) * 100).toFixed(1)} % of one core)`,
    `mapper peak RSS: ${rss.toFixed(1)} MB`,
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
}

await main();
