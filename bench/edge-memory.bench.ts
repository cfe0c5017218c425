/**
 * Memory of the edge as the systemd unit runs it (issue 19): RSS of `kedge edge` plus its mapper
 * processes, 100 Modbus TCP devices x 10 float properties polled every second (1,000 readings/s,
 * bench/footprint-support.ts), sampled every second after a warm-up; then with one device of a
 * further protocol added (OPC UA: its own mapper process, node-opcua), to say what it costs.
 *
 *   npm run build && npx tsx bench/edge-memory.bench.ts [--seconds 30] [--warmup 30] [--mappers process|inprocess] [--opcua]
 *
 * Target: edge + Modbus mapper for 100 devices <= 100 MB RSS in total; each further protocol <= 25 MB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/demo/ports.js';
import {
  apply,
  BenchProcess,
  childrenRss,
  footprintDevices,
  loadAverage,
  processedReadings,
  requireDist,
  root,
  rssMb,
  sleep,
  startEdge,
  startSineSim,
  waitFor,
} from './footprint-support.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '30' },
    mappers: { type: 'string', default: 'process' },
    opcua: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const mappers = args.mappers as 'process' | 'inprocess';

requireDist();
const work = mkdtempSync(join(tmpdir(), 'kedge-bench-mem-'));
const { sim, port: simPort } = await startSineSim(100, 10);
let opcSim: BenchProcess | undefined;
const edge = await startEdge({ node: 'gw-1', dataDir: join(work, 'edge'), mappers });
try {
  const api = `http://127.0.0.1:${edge.apiPort}`;
  await apply(
    api,
    footprintDevices('gw-1', 100, 10, simPort, 1000).map((d) => {
      delete (d as { spec?: { nodeName?: string } }).spec?.nodeName;
      return d;
    }),
  );
  await waitFor(async () => (await processedReadings(edge.apiPort)) > 0, 'readings', 120_000, [edge.proc]);
  const modbus = await sample('edge + Modbus mapper (100 devices)');
  const rows = [modbus];
  if (args.opcua) {
    const port = await freePort();
    opcSim = new BenchProcess(
      'opcua-sim',
      spawn(
        process.execPath,
        [
          join(root, 'bin/kedge.js'),
          'sim',
          'opcua',
          '--port',
          `${port}`,
          '--generate',
          '1',
          '--generate-interval',
          '1000',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    await waitFor(() => /opc\.tcp:\/\//.test(opcSim!.output), 'the OPC UA simulator', 120_000, [opcSim]);
    await apply(api, opcuaDevice(port));
    const reported = async (): Promise<boolean> => {
      const twin = (await fetch(`${api}/api/v1/twins/default/opc-1`)
        .then((r) => r.json())
        .catch(() => ({}))) as { properties?: Record<string, { reported?: unknown }> };
      return twin.properties?.temperature?.reported !== undefined;
    };
    await waitFor(reported, 'an OPC UA reading', 180_000, [edge.proc]);
    rows.push(await sample('+ one OPC UA device (its mapper process)'));
  }
  process.stdout.write(
    `${[
      `${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; --mappers ${mappers}; the systemd unit's environment; ${WARMUP} s warm-up, ${SECONDS} s sampled every second.`,
      '',
      '| what runs | edge RSS (median / max) | mapper processes RSS (median / max) | total (median / max) | load avg |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n')}\n`,
  );
} finally {
  await edge.proc.stop();
  await opcSim?.stop();
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}

async function sample(what: string): Promise<string> {
  await sleep(WARMUP * 1000);
  const e: number[] = [];
  const m: number[] = [];
  const t: number[] = [];
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    const a = rssMb(edge.proc.pid);
    const b = childrenRss(edge.proc.pid);
    e.push(a);
    m.push(b);
    t.push(a + b);
  }
  const fmt = (xs: number[]) => {
    const sorted = [...xs].sort((x, y) => x - y);
    return `${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} / ${sorted.at(-1)!.toFixed(1)} MB`;
  };
  return `| ${what} | ${fmt(e)} | ${mappers === 'inprocess' ? '- (in the edge)' : fmt(m)} | **${fmt(t)}** | ${loadAverage()} |`;
}

function opcuaDevice(port: number): unknown[] {
  return [
    {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'DeviceModel',
      metadata: { name: 'bench-opc', namespace: 'default' },
      spec: { protocol: 'opcua', properties: [{ name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly' }] },
    },
    {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: 'opc-1', namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'bench-opc' },
        protocol: { protocolName: 'opcua', configData: { url: `opc.tcp://127.0.0.1:${port}` } },
        properties: [
          {
            name: 'temperature',
            collectCycle: 1000,
            visitors: { protocolName: 'opcua', configData: { nodeID: 'ns=1;s=gen.0' } },
          },
        ],
      },
    },
  ];
}
