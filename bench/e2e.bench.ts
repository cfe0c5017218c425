/**
 * End to end, every hop a real process: `kedge sim modbus` (the devices) -> `kedge mapper` (run by
 * the edge's Edged) -> `kedge edge` -> `kedge cloud` -> a consumer of kedge/telemetry/# (here).
 * Readings/s at the consumer, loss (edge-emitted minus consumer-received, after the devices are
 * deleted and the link is quiet), CPU of mapper + edge + cloud per 1,000 readings, and latency
 * from the reading's ts (the mapper's read) to its arrival at the consumer.
 *
 *   npm run build && npx tsx bench/e2e.bench.ts --rate 20000 [--seconds 20] [--warmup 30] [--runtime dist|tsx] [--trace] [--watch] [--logs DIR] [--write "Throughput at 20,000 readings/s"]
 *
 * `--watch` keeps the dashboard's live stream open on the cloud (what a browser on the dashboard
 * costs the cloud) and reports its bytes per second.
 *
 * The rate is devices x properties x 1000 / period: 100 devices x 50 properties, period from the rate.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort, portAnswers } from '../src/demo/ports.js';
import { edgeSetup, KedgeProcess, tempDir, waitFor } from '../hil-tests/e2e/harness/processes.js';
import { CloudSubscriber } from '../hil-tests/e2e/harness/subscriber.js';
import {
  childPids,
  cpuMs,
  cpuTimes,
  e2eDevicesYaml,
  percentile,
  spawnBenchKedge,
  startBenchCloud,
  startBenchEdge,
  writeE2eSection,
  type Runtime,
} from './e2e-support.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const RATE = Number(opt('rate', '20000'));
const SECONDS = Number(opt('seconds', '20'));
// 30 s: V8 keeps optimizing hot functions for about 20 s at these call rates (--trace-opt shows
// first optimizations of per-reading functions 11-17 s after start), and a gateway runs for days;
// the window measures the steady state. `--warmup 8` gives the first-minute figure.
const WARMUP_S = Number(opt('warmup', '30'));
const DEVICES = Number(opt('devices', '100'));
const PROPS = Number(opt('props', '50'));
const PERIOD = Math.round((DEVICES * PROPS * 1000) / RATE);
/** `--runtime dist` (default: compiled dist/ via bin/kedge.js, as shipped) or `--runtime tsx` (sources). */
const RUNTIME = opt('runtime', 'dist') as Runtime;
if (RUNTIME !== 'dist' && RUNTIME !== 'tsx') throw new Error(`--runtime must be dist or tsx, not ${RUNTIME}`);
const writeAs = args.includes('--write') ? opt('write', `${RATE} readings/s`) : undefined;

const dir = tempDir('kedge-bench-e2e-');
const log = (s: string) => process.stderr.write(`${s}\n`);
let sim: KedgeProcess | undefined;
let edge: KedgeProcess | undefined;
let cloud: Awaited<ReturnType<typeof startBenchCloud>> | undefined;
let sub: CloudSubscriber | undefined;
let trace: MqttClient | undefined;
const TRACE = args.includes('--trace');
const WATCH = args.includes('--watch');
/** The dashboard's event stream, read and counted (its bytes), as a browser on the page would. */
async function watchDashboard(api: string, signal: AbortSignal, seen: { bytes: number }): Promise<void> {
  const res = await fetch(`${api}/api/v1/events`, { signal });
  if (!res.ok || !res.body) throw new Error(`GET /api/v1/events: HTTP ${res.status}`);
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) return;
    seen.bytes += value?.length ?? 0;
  }
}
const hops = { dataUpdate: [] as number[], cleansed: [] as number[] };
const hopFigures = () => {
  const f = (v: number[]) => {
    v.sort((a, b) => a - b);
    return { p50: percentile(v, 50), p99: percentile(v, 99), n: v.length };
  };
  return { dataUpdate: f(hops.dataUpdate), cleansed: f(hops.cleansed) };
};
try {
  cloud = await startBenchCloud(RUNTIME, join(dir.path, 'cloud'));
  sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
  let received = 0;
  let latencies: number[] = [];
  let recording = false;
  // Readings counted by when the mapper read them (not when they arrived): nothing in flight at
  // the window's ends is missed, but a poll burst falls wholly in or out of the window.
  const readWindow = { from: Infinity, to: Infinity, count: 0 };
  const onMessage = sub.telemetry.push.bind(sub.telemetry);
  // Count instead of keeping every message (millions over a run).
  sub.telemetry.push = (...msgs) => {
    const now = Date.now();
    for (const m of msgs) {
      received += m.readings.length;
      if (recording) for (const r of m.readings) latencies.push(now - r.ts);
      for (const r of m.readings) if (r.ts >= readWindow.from && r.ts < readWindow.to) readWindow.count++;
    }
    return 0;
  };
  void onMessage;
  const setup = await edgeSetup('bench-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process');
  edge = await startBenchEdge(RUNTIME, setup);
  if (TRACE) {
    // Where the time goes: the same readings seen on the edge broker, raw (mapper out) and cleansed (pipeline out).
    trace = await connectAsync(`mqtt://127.0.0.1:${setup.mqttPort}`);
    await trace.subscribeAsync(['$ke/events/device/+/+/data/raw', '$ke/events/device/+/+/data/cleansed']);
    trace.on('message', (topic, payload) => {
      if (!recording) return;
      const now = Date.now();
      const list = topic.endsWith('/data/raw') ? hops.dataUpdate : hops.cleansed;
      for (const r of (JSON.parse(payload.toString()) as { readings: Array<{ ts: number }> }).readings)
        list.push(now - r.ts);
    });
  }
  const simPort = await freePort();
  const file = join(dir.path, 'devices.yaml');
  writeFileSync(file, e2eDevicesYaml(setup.node, DEVICES, PROPS, PERIOD, simPort));
  sim = new KedgeProcess('sim', spawnBenchKedge(RUNTIME, ['sim', 'modbus', '--model', file, '--tcp', String(simPort)]));
  await waitFor(() => portAnswers(simPort), 'the simulator', 60_000, [sim]);
  const apply = new KedgeProcess('apply', spawnBenchKedge(RUNTIME, ['apply', '-f', file, '--server', cloud.api]));
  const appliedCode = await new Promise<number | null>((resolve) => apply.child.once('close', resolve));
  if (appliedCode !== 0) throw new Error(`apply failed: ${apply.output}`);
  log(`${DEVICES} devices x ${PROPS} properties every ${PERIOD} ms = ${RATE} readings/s; warming up ${WARMUP_S} s`);
  const watching = new AbortController();
  const stream = { bytes: 0 };
  if (WATCH) void watchDashboard(cloud.api, watching.signal, stream).catch((err) => log(`watch: ${String(err)}`));
  await waitFor(() => received > 0, 'the first readings at the consumer', 60_000, [edge, cloud.proc, sim]);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));

  const pids = { cloud: cloud.proc.child.pid!, edge: edge.child.pid!, mappers: childPids(edge.child.pid!) };
  const cpu = () => ({
    cloud: cpuMs(pids.cloud),
    edge: cpuMs(pids.edge),
    mapper: pids.mappers.reduce((n, p) => n + cpuMs(p), 0),
  });
  // The kernel's share (sockets, SQLite's writes), included in the totals above.
  const sys = () => ({
    cloud: cpuTimes(pids.cloud).system,
    edge: cpuTimes(pids.edge).system,
    mapper: pids.mappers.reduce((n, p) => n + cpuTimes(p).system, 0),
  });
  const s0 = sys();
  // Bytes the edge sent over the link (the JSON of its outbox messages), per reading.
  const linkBytes = async () =>
    Number(
      /^kedge_edgehub_sent_bytes_total (\d+)/m.exec(
        await (await fetch(`http://127.0.0.1:${setup.apiPort}/metrics`)).text(),
      )?.[1] ?? NaN,
    );
  const b0 = await linkBytes();
  const load0 = loadavg()[0]!;
  const c0 = cpu();
  const r0 = received;
  const t0 = performance.now();
  latencies = [];
  recording = true;
  const streamed0 = stream.bytes;
  readWindow.from = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  readWindow.to = Date.now();
  recording = false;
  const streamed = stream.bytes - streamed0;
  watching.abort();
  const elapsed = (performance.now() - t0) / 1000;
  const c1 = cpu();
  const s1 = sys();
  const r1 = received;
  const b1 = await linkBytes();
  const perK = (ms: number) => (ms / (r1 - r0)) * 1000;
  const cpuMsTotal = c1.cloud - c0.cloud + (c1.edge - c0.edge) + (c1.mapper - c0.mapper);

  // Loss: freeze the mapper (no new readings, nothing in the link disturbed), wait until the
  // consumer count is quiet, compare with what the edge pipeline emitted.
  for (const pid of pids.mappers) process.kill(pid, 'SIGSTOP');
  let last = -1;
  while (last !== received) {
    last = received;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const metrics = await (await fetch(`http://127.0.0.1:${setup.apiPort}/metrics`)).text();
  const emitted = Number(
    /^kedge_pipeline_readings_total\{outcome="emitted",reason=""\} (\d+)/m.exec(metrics)?.[1] ?? NaN,
  );
  latencies.sort((a, b) => a - b);
  const result = {
    rate: RATE,
    delivered: (r1 - r0) / elapsed,
    /** Readings read by the mapper inside the window, all of which arrived (counted after the freeze). */
    deliveredByReadTime: readWindow.count / ((readWindow.to - readWindow.from) / 1000),
    emitted,
    received,
    lost: emitted - received,
    cpu: {
      total: perK(cpuMsTotal),
      cloud: perK(c1.cloud - c0.cloud),
      edge: perK(c1.edge - c0.edge),
      mapper: perK(c1.mapper - c0.mapper),
    },
    linkBytesPerReading: (b1 - b0) / (r1 - r0),
    cpuSystem: { cloud: perK(s1.cloud - s0.cloud), edge: perK(s1.edge - s0.edge), mapper: perK(s1.mapper - s0.mapper) },
    coresUsed: cpuMsTotal / 1000 / elapsed,
    latency: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
      samples: latencies.length,
    },
    mappers: pids.mappers.length,
    ...(WATCH ? { dashboardStreamBytesPerSecond: Math.round(streamed / elapsed) } : {}),
    loadAverage: { before: load0, after: loadavg()[0]! },
    ...(TRACE ? { trace: hopFigures() } : {}),
  };
  log(JSON.stringify(result, null, 2));
  const logDir = args.includes('--logs') ? opt('logs', '') : '';
  if (logDir) {
    // Both processes' metrics at the end of the window (status writes, outbox, link counters).
    writeFileSync(join(logDir, 'cloud.metrics'), await (await fetch(`${cloud.api}/metrics`)).text());
    writeFileSync(
      join(logDir, 'edge.metrics'),
      await (await fetch(`http://127.0.0.1:${setup.apiPort}/metrics`)).text(),
    );
  }
  if (writeAs) {
    const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    writeE2eSection(
      writeAs,
      [
        `- command: \`npm run build && npx tsx bench/e2e.bench.ts --rate ${RATE} --seconds ${SECONDS} --devices ${DEVICES} --props ${PROPS}${RUNTIME === 'tsx' ? ' --runtime tsx' : ''}${TRACE ? ' --trace' : ''}\``,
        `- load: ${DEVICES} Modbus TCP devices (one simulator, one unit each) x ${PROPS} uint16 registers, collectCycle ${PERIOD} ms = ${n(RATE)} readings/s offered; ${result.mappers} mapper process`,
        `- delivered to the consumer: **${n(result.delivered)} readings/s** by arrival over ${n(elapsed, 1)} s after a ${WARMUP_S} s warm-up; ${n(result.deliveredByReadTime)} readings/s counted by read time (the readings the mapper read inside the window, all of which arrived; whole poll bursts of ${n(DEVICES * PROPS)} readings fall in or out of the window, so this moves by up to one burst)`,
        `- loss: ${n(result.lost)} (edge pipeline emitted ${n(emitted)}, consumer received ${n(received)} over the whole run, counted after the mapper was frozen (SIGSTOP) and the link was quiet)`,
        `- CPU of mapper + edge + cloud: **${n(result.cpu.total, 2)} ms per 1,000 readings** (mapper ${n(result.cpu.mapper, 2)}, edge ${n(result.cpu.edge, 2)}, cloud ${n(result.cpu.cloud, 2)}); ${n(result.coresUsed * 100, 0)} % of one core in total`,
        `- link, edge to cloud: ${n(result.linkBytesPerReading, 1)} bytes per reading (JSON of the edge's messages, telemetry and twin reports, before WebSocket framing)`,
        `- latency, reading ts (mapper read) to the consumer: p50 ${n(result.latency.p50)} ms, p99 **${n(result.latency.p99)} ms**, max ${n(result.latency.max)} ms (${n(result.latency.samples)} readings)`,
        ...(result.trace
          ? [
              `- per hop (--trace, same readings on the edge broker): edge pipeline out (data/cleansed, published while the mapper's message is handled, before the commit) p50 ${n(result.trace.cleansed!.p50)} / p99 ${n(result.trace.cleansed!.p99)} ms; the mapper's data/raw as the edge broker forwards it (as soon as the edge handled it; only its PUBACK waits for the commit) p50 ${n(result.trace.dataUpdate!.p50)} / p99 ${n(result.trace.dataUpdate!.p99)} ms; the rest (EdgeHub -> CloudHub -> cloud MQTT -> consumer) is the difference to the consumer's figures`,
            ]
          : []),
        `- machine load (1-min load average) before/after the window: ${n(result.loadAverage.before, 1)} / ${n(result.loadAverage.after, 1)} on ${cpus().length} cores (other work on the machine shares the cores)`,
        `- kedge processes: ${RUNTIME === 'dist' ? '`node bin/kedge.js` over the compiled dist/ (as shipped; the mapper started by Edged likewise)' : '`node --import tsx` (hil-tests/e2e/harness/kedge-entry.ts; the mapper likewise)'}${process.env.KEDGE_E2E_NODE_FLAGS ? `, node flags \`${process.env.KEDGE_E2E_NODE_FLAGS}\`` : ', no extra node flags'}; node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model.trim() ?? '?'}`,
        `- measured: ${new Date().toISOString().slice(0, 10)}`,
      ].join('\n'),
    );
  }
} finally {
  const quietly = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      log(`cleanup: ${(err as Error).message}`);
    }
  };
  for (const pid of edge?.child.pid ? childPids(edge.child.pid) : []) await quietly(() => process.kill(pid, 'SIGCONT'));
  await quietly(() => trace?.endAsync(true));
  await quietly(() => sub?.close());
  await quietly(() => sim?.stop());
  await quietly(() => edge?.stop());
  await quietly(() => cloud?.proc.stop());
  const logs = args.includes('--logs') ? opt('logs', '') : '';
  if (logs) {
    // The processes' own output (pino JSON lines), for a look at warnings after a run.
    for (const [name, p] of [
      ['cloud', cloud?.proc],
      ['edge', edge],
      ['sim', sim],
    ] as const)
      if (p) writeFileSync(join(logs, `${name}.log`), p.output);
  }
  dir.remove();
}
