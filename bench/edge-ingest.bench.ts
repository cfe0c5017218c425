/**
 * Edge ingest: raw readings in over MQTT (QoS 1, PUBACK after the SQLite commit), through the
 * cleansing pipeline into the twin and the outbox, cleansed readings out over MQTT to a subscriber.
 * The load generators run as separate processes; the edge node runs in this process and is the
 * one measured (throughput, CPU, bytes written per 1,000 readings).
 *
 *   npx tsx bench/edge-ingest.bench.ts [seconds=8] [--qos 0|1] [--publishers 2] [--data-update] [--write]
 *
 * --data-update: the load generators also subscribe to KubeEdge's data/update, so the edge
 * republishes every raw reading there as DeviceData (the second publication's cost).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { EdgeConfigSchema, type EdgeConfig } from '../src/core/config/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { createEdgeNode } from '../src/edge/index.js';
import { mapperUrl } from '../src/edge/testing/index.js';
import { benchDevice, benchModel, procIo, writeEdgeSection } from './edge-bench-support.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 8);
const qos = Number(opt('qos', '1'));
const publishers = Number(opt('publishers', '2'));
const dataUpdate = args.includes('--data-update');
const DEVICES = 100;
const PROPS = 10;

const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-edge-'));
const defaults = Value.Default(EdgeConfigSchema, { node: 'bench', dataDir: dir }) as EdgeConfig;
const config = {
  ...defaults,
  mqtt: { ...defaults.mqtt, port: 0 },
  apiPort: 0,
  servicebusPort: 0,
  mappers: 'none' as const,
};
const node = createEdgeNode(config, { logger: silentLogger() });
await node.start();
await node.bus.request('meta.apply', {
  documents: [benchModel(PROPS), ...Array.from({ length: DEVICES }, (_, i) => benchDevice(i, PROPS))],
});
let cleansed = 0;
// Steady state: from the first cleansed reading to the last one (process start-up excluded).
let firstAt = 0;
let lastAt = 0;
node.bus.subscribe('device.cleansed', { name: 'bench', group: 'bench' }, (e) => {
  if (cleansed === 0) firstAt = performance.now();
  cleansed += e.readings.length;
  lastAt = performance.now();
});

const perPublisher = DEVICES / publishers;
const io0 = procIo();
const db0 = dbBytes();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const results = await Promise.all(
  Array.from({ length: publishers }, (_, i) =>
    run(process.execPath, [
      join(import.meta.dirname, 'edge-load.mjs'),
      mapperUrl(node.eventbus.url, dir), // publishers log in as mappers do (anonymous clients only read)
      String(i * perPublisher),
      String(perPublisher),
      String(PROPS),
      String(seconds),
      String(qos),
      '400',
      dataUpdate ? '1' : '0',
    ]),
  ),
);
const elapsed = (lastAt - firstAt) / 1000;
void t0;
await new Promise((r) => setTimeout(r, 200));
const cpu = process.cpuUsage(cpu0);
const io = procIo();
const db = dbBytes();
const stats = node.store.batcher.stats;
const outbox = node.store.outbox.stats();
await node.stop();
rmSync(dir, { recursive: true, force: true });

const loads = results.map(
  (r) => JSON.parse(r) as { sent: number; acked: number; cleansedReadings: number; dataUpdateReadings: number },
);
const acked = loads.reduce((a, l) => a + l.acked, 0);
const out = loads.reduce((a, l) => a + l.cleansedReadings, 0);
const republished = loads.reduce((a, l) => a + l.dataUpdateReadings, 0);
const processed = node.store ? cleansed : 0;
const perSec = Math.round(processed / elapsed);
const per1000 = (n: number) => Math.round((n / processed) * 1000);
// CPU over the whole run (start-up excluded from `elapsed` only): an upper bound of the busy share.
const cpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100);
const lines = [
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; ${DEVICES} devices x ${PROPS} FLOAT properties (range + EMA, half reportToCloud), ${publishers} publisher processes, QoS ${qos}, window 400 messages each, ${PROPS} readings per message, ${seconds} s.`,
  '',
  '| figure | value |',
  '|---|---|',
  `| readings in -> cleansed -> twin (edge process) | **${perSec.toLocaleString('en')} readings/s** (${processed.toLocaleString('en')} in ${elapsed.toFixed(1)} s) |`,
  `| acknowledged to the publishers | ${acked.toLocaleString('en')} readings |`,
  `| cleansed readings received back by MQTT subscribers | ${out.toLocaleString('en')} |`,
  ...(dataUpdate
    ? [`| raw readings received as KubeEdge DeviceData on data/update | ${republished.toLocaleString('en')} |`]
    : []),
  `| edge CPU per 1,000 readings | ${(((cpu.user + cpu.system) / 1000 / processed) * 1000).toFixed(2)} ms |`,
  `| edge process CPU | ${cpuPct} % of one core |`,
  `| readings per CPU-second of the edge process (capacity if it had a core to itself) | ${Math.round(processed / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en')} |`,
  `| machine load average during the run (other work on this shared machine) | ${loadavg()[0]!.toFixed(1)} |`,
  `| SQLite transactions | ${stats.flushes} (${Math.round(processed / Math.max(1, stats.flushes))} readings each) |`,
  `| bytes written per 1,000 readings (write_bytes, block layer) | ${per1000(io.writeBytes - io0.writeBytes).toLocaleString('en')} B |`,
  `| bytes passed to write() per 1,000 readings (wchar) | ${per1000(io.wchar - io0.wchar).toLocaleString('en')} B |`,
  `| edge.db + WAL growth per 1,000 readings | ${per1000(db - db0).toLocaleString('en')} B |`,
  `| outbox after the run | ${outbox.count.toLocaleString('en')} entries, ${(outbox.bytes / 1e6).toFixed(1)} MB |`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (args.includes('--write'))
  writeEdgeSection(
    `Ingest (QoS ${qos})`,
    `${lines.join('\n')}\n\nRun: \`npx tsx bench/edge-ingest.bench.ts ${args.filter((a) => a !== '--write').join(' ')}\``,
  );

function dbBytes(): number {
  let total = 0;
  for (const f of ['edge.db', 'edge.db-wal']) {
    try {
      total += statSync(join(dir, f)).size;
    } catch {
      // not there yet
    }
  }
  return total;
}

function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`load generator exited ${code}`))));
  });
}
