/**
 * Cold start (issue 19): from starting `kedge edge` (node bin/kedge.js over dist/, the systemd
 * unit's environment) until /healthz answers 200, with 100 devices (1,000 properties, twin rows,
 * pipeline state) in its store from an earlier run. The store is filled once, the edge stopped,
 * then started `--runs` times. Page cache warm (a gateway restarting its service); the load
 * average is given beside the figures (CPU time on a shared machine).
 *
 *   npm run build && npx tsx bench/edge-coldstart.bench.ts [--runs 5] [--mappers process|inprocess]
 *
 * Target: /healthz within 1.5 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/demo/ports.js';
import {
  apply,
  footprintDevices,
  loadAverage,
  processedReadings,
  requireDist,
  sleep,
  startEdge,
  startSineSim,
  waitFor,
} from './footprint-support.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, mappers: { type: 'string', default: 'process' } },
});
const mappers = args.mappers as 'process' | 'inprocess';
requireDist();
const work = mkdtempSync(join(tmpdir(), 'kedge-bench-cold-'));
const dataDir = join(work, 'edge');
const { sim, port: simPort } = await startSineSim(100, 10);
const ports = { api: await freePort(), mqtt: await freePort(), servicebus: await freePort() };
try {
  // Fill the store: devices applied, readings for a while (twin rows, journal, pipeline state).
  const first = await startEdge({ node: 'gw-1', dataDir, mappers, ports });
  await apply(
    `http://127.0.0.1:${ports.api}`,
    footprintDevices('gw-1', 100, 10, simPort, 1000).map((d) => {
      delete (d as { spec?: { nodeName?: string } }).spec?.nodeName;
      return d;
    }),
  );
  await waitFor(async () => (await processedReadings(ports.api)) > 5000, 'readings', 120_000, [first.proc]);
  await first.proc.stop();
  const times: number[] = [];
  const loads: string[] = [];
  for (let r = 0; r < Number(args.runs); r++) {
    await sleep(2000);
    loads.push(loadAverage());
    const edge = await startEdge({ node: 'gw-1', dataDir, mappers, ports });
    // startEdge returns once /healthz answered 200 (polled every 25 ms).
    times.push(Date.now() - edge.startedAt);
    await edge.proc.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(
    `${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; --mappers ${mappers}; 100 devices in the store; start -> /healthz 200: ${times.map((t) => `${t} ms`).join(', ')} (median ${sorted[Math.floor(sorted.length / 2)]} ms); load average ${loads.join(', ')}\n`,
  );
} finally {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}
