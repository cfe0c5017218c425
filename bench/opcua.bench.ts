/**
 * OPC UA subscription throughput: 1,000 monitored items changing every 100 ms on one simulator
 * (10,000 changes/s), the driver subscribed to all of them as one device.
 *
 *   npx tsx bench/opcua.bench.ts [items=1000] [changeMs=100] [seconds=20] [samplingMs=changeMs] [--write]
 *
 * The server runs in a child process so that its CPU is not the driver's. Measured after a warm-up:
 * updates/s delivered to ctx.readings, driver CPU (user+system) per 1,000 updates, driver RSS.
 * `--write` puts the figures into the `## OPC UA` section of bench/RESULTS.md.
 */
import { fork } from 'node:child_process';
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpcuaDriver } from '../mappers/opcua/index.js';
import { generatedNodeIds } from '../mappers/opcua/sim/generated.js';
import { systemClock } from '../src/core/clock/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { createMetricsRegistry } from '../src/core/metrics/index.js';
import type { DeviceInstance } from '../src/model/index.js';

const args = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const [items = 1000, changeMs = 100, seconds = 20] = args;
const samplingMs = args[3] ?? changeMs;
const write = process.argv.includes('--write');
const WARMUP_MS = 5000;
const INTRO = [
  'Subscription throughput of the OPC UA driver: 1,000 variables changing every 100 ms on one',
  'simulator (10,000 changes/s); every change should reach `ctx.readings`. The driver uses a',
  "property's collectCycle as the monitored item's samplingInterval (and the subscription's",
  'publishingInterval). Sampling exactly at the change period aliases (two changes fall into one',
  'sample now and then, queueSize 1 keeps the newer); sampling at half the period delivers all.',
];

const child = fork(join(import.meta.dirname, 'opcua-sim-child.ts'), [String(items), String(changeMs)], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const ask = <T>(msg: string, key: string) =>
  new Promise<T>(
    (resolve) =>
      child.on('message', function on(m: Record<string, unknown>) {
        if (key in m) {
          child.off('message', on);
          resolve(m as T);
        }
      }) &&
      msg &&
      child.send(msg),
  );
const { endpointUrl } = await new Promise<{ endpointUrl: string }>((resolve) =>
  child.once('message', (m) => resolve(m as { endpointUrl: string })),
);

const dataDir = mkdtempSync(join(tmpdir(), 'kedge-opcua-bench-'));
let updates = 0;
let bad = 0;
// Generated values are tick + i/1e4: a jump of more than one tick in a property is a missed change.
const lastTick = new Map<string, number>();
let missed = 0;
let counting = false;
const driver = new OpcuaDriver({
  logger: silentLogger(),
  clock: systemClock,
  metrics: createMetricsRegistry(),
  dataDir,
  readings: (_id, readings) => {
    updates += readings.length;
    for (const r of readings) {
      if (r.quality !== 'good') bad += 1;
      const tick = Math.floor(r.value as number);
      const last = lastTick.get(r.property);
      if (counting && last !== undefined && tick > last + 1) missed += tick - last - 1;
      lastTick.set(r.property, tick);
    }
  },
  state: (id, state, reason) => console.error(`${id} ${state}${reason ? `: ${reason}` : ''}`),
});
const device: DeviceInstance = {
  id: 'default/bench',
  namespace: 'default',
  name: 'bench',
  model: 'bench',
  protocol: 'opcua',
  protocolConfig: { url: endpointUrl },
  properties: generatedNodeIds(items).map((nodeID, i) => ({
    name: `p${i}`,
    type: 'DOUBLE',
    accessMode: 'ReadOnly',
    visitor: { nodeID },
    collectCycleMs: samplingMs,
    reportCycleMs: 1000,
    reportToCloud: false,
  })),
};
await driver.start();
await driver.addDevice(device);
await new Promise((r) => setTimeout(r, WARMUP_MS));

const u0 = updates;
counting = true;
const cpu0 = process.cpuUsage();
const server0 = await ask<{ cpu: NodeJS.CpuUsage; changes: number }>('cpu', 'cpu');
const t0 = performance.now();
let rssMax = 0;
const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 500);
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsed = (performance.now() - t0) / 1000;
const delivered = updates - u0;
const cpu = process.cpuUsage(cpu0);
counting = false;
const server1 = await ask<{ cpu: NodeJS.CpuUsage; rss: number; changes: number }>('cpu', 'cpu');
clearInterval(rssTimer);

await driver.stop();
child.send('stop');
rmSync(dataDir, { recursive: true, force: true });

const perSecond = delivered / elapsed;
const produced = server1.changes - server0.changes;
const expected = (items * 1000) / changeMs;
const cpuMs = (cpu.user + cpu.system) / 1000;
const serverCpuMs = (server1.cpu.user + server1.cpu.system - server0.cpu.user - server0.cpu.system) / 1000;
const lines = [
  `- command: \`npx tsx bench/opcua.bench.ts ${items} ${changeMs} ${seconds}${samplingMs !== changeMs ? ` ${samplingMs}` : ''}\``,
  `- setup: ${items} Double variables changing every ${changeMs} ms on one simulator (child process, ${expected.toLocaleString('en-US')} changes/s), one device, ${items} monitored items, samplingInterval = publishingInterval = ${samplingMs} ms, queueSize 1, security None`,
  `- delivered: ${Math.round(perSecond).toLocaleString('en-US')} updates/s to ctx.readings (${((100 * perSecond) / expected).toFixed(1)} % of the target; ${delivered.toLocaleString('en-US')} in ${elapsed.toFixed(1)} s after a ${WARMUP_MS / 1000} s warm-up, while the simulator made ${produced.toLocaleString('en-US')} changes; ${missed.toLocaleString('en-US')} changes missed by sampling, counted per item from the tick in each value; ${bad} not good)`,
  `- driver CPU: ${((cpuMs * 1000) / Math.max(1, delivered)).toFixed(1)} ms per 1,000 updates (${((100 * cpuMs) / (elapsed * 1000)).toFixed(0)} % of one core); simulator CPU: ${((100 * serverCpuMs) / (elapsed * 1000)).toFixed(0)} % of one core`,
  `- driver RSS: ${(rssMax / 2 ** 20).toFixed(0)} MB peak during the run (node-opcua loaded); simulator RSS ${(server1.rss / 2 ** 20).toFixed(0)} MB`,
  `- node ${process.version}, ${cpus().length} cores (nproc ${nprocOf()}), ${cpus()[0]?.model.trim()}`,
  `- measured: ${new Date().toISOString().slice(0, 10)}`,
];
console.log(lines.join('\n'));
if (write) writeSection(lines);

function nprocOf(): string {
  try {
    return execSync('nproc').toString().trim();
  } catch {
    return '?';
  }
}

/**
 * Puts this run under `### samplingInterval <n> ms` inside `## OPC UA` of bench/RESULTS.md,
 * replacing an earlier run with the same sampling interval and leaving other sections alone.
 */
function writeSection(body: string[]): void {
  const file = join(import.meta.dirname, 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  if (!text.includes('\n## OPC UA\n')) {
    text = `${text.trimEnd()}\n\n## OPC UA\n\n${INTRO.join('\n')}\n`;
  }
  const start = text.indexOf('\n## OPC UA\n');
  const endRaw = text.indexOf('\n## ', start + 1);
  const end = endRaw < 0 ? text.length : endRaw + 1;
  let section = text.slice(start + 1, end).trimEnd();
  const title = `### samplingInterval ${samplingMs} ms`;
  const block = `${title}\n\n${body.join('\n')}`;
  const at = section.indexOf(`\n${title}\n`);
  if (at < 0) section = `${section}\n\n${block}`;
  else {
    const nextRaw = section.indexOf('\n### ', at + 1);
    section = `${section.slice(0, at + 1)}${block}${nextRaw < 0 ? '' : `\n${section.slice(nextRaw)}`}`;
  }
  writeFileSync(file, `${text.slice(0, start + 1)}${section}\n${end < text.length ? `\n${text.slice(end)}` : ''}`);
}
