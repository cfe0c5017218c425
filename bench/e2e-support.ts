/** Helpers of bench/e2e.bench.ts: devices for the simulator, /proc CPU, the RESULTS.md section. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeResultsSubsection } from './results-file.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../src/demo/ports.js';
import { KEDGE_ARGS } from '../hil-tests/e2e/harness/kedge.js';
import { httpOk, KedgeProcess, waitFor, type CloudPorts, type EdgeSetup } from '../hil-tests/e2e/harness/processes.js';

/**
 * How the bench runs kedge: `dist` (default) is what users run, `node bin/kedge.js` over the
 * compiled dist/ (`npm run build` first); `tsx` is `node --import tsx` over the sources, as the
 * e2e tests do. Edged starts the mapper with the edge's own node and script, so the mapper runs
 * the same way. KEDGE_E2E_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") go to cloud and edge.
 */
export type Runtime = 'dist' | 'tsx';
export const KEDGE_BIN = join(import.meta.dirname, '..', 'bin', 'kedge.js');

export function spawnBenchKedge(runtime: Runtime, args: string[], env: Record<string, string> = {}): ChildProcess {
  const nodeFlags = (process.env.KEDGE_E2E_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const entry = runtime === 'dist' ? [KEDGE_BIN] : KEDGE_ARGS;
  if (runtime === 'dist' && !existsSync(join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  return spawn(process.execPath, [...nodeFlags, ...entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

export async function startBenchCloud(
  runtime: Runtime,
  dataDir: string,
): Promise<{ proc: KedgeProcess; ports: CloudPorts; api: string }> {
  const ports = { hub: await freePort(), api: await freePort(), mqtt: await freePort() };
  const proc = new KedgeProcess(
    'cloud',
    spawnBenchKedge(runtime, [
      'cloud',
      '--data-dir',
      dataDir,
      '--hub-host',
      '127.0.0.1',
      '--hub-port',
      `${ports.hub}`,
      '--api-port',
      `${ports.api}`,
      '--mqtt-port',
      `${ports.mqtt}`,
      '--insecure-link',
    ]),
  );
  const api = `http://127.0.0.1:${ports.api}`;
  await waitFor(() => httpOk(`${api}/healthz`), 'the cloud API', 60_000, [proc]);
  return { proc, ports, api };
}

export async function startBenchEdge(runtime: Runtime, s: EdgeSetup): Promise<KedgeProcess> {
  const proc = new KedgeProcess(
    'edge',
    spawnBenchKedge(
      runtime,
      [
        'edge',
        '--node',
        s.node,
        '--data-dir',
        s.dataDir,
        '--cloud',
        s.cloudUrl,
        '--mqtt-port',
        `${s.mqttPort}`,
        '--api-port',
        `${s.apiPort}`,
        '--mappers',
        s.mappers,
      ],
      { KEDGE_EDGE__SERVICEBUS_PORT: `${await freePort()}` },
    ),
  );
  await waitFor(() => httpOk(`http://127.0.0.1:${s.apiPort}/healthz`), 'the edge API', 60_000, [proc]);
  return proc;
}

/** One model with `props` uint16 holding registers (one Modbus read per device and cycle). */
export function e2eDevicesYaml(node: string, devices: number, props: number, periodMs: number, port: number): string {
  const model = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'e2e-bench', namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: Array.from({ length: props }, (_, p) => ({
        name: `p${p}`,
        type: 'INT',
        accessMode: 'ReadOnly',
        minimum: '0',
        maximum: '60000',
      })),
    },
  };
  const docs = [stringify(model)];
  for (let d = 0; d < devices; d++) {
    docs.push(
      stringify({
        apiVersion: 'devices.kubeedge.io/v1beta1',
        kind: 'Device',
        metadata: { name: `bench-${d}`, namespace: 'default' },
        spec: {
          deviceModelRef: { name: 'e2e-bench' },
          nodeName: node,
          protocol: {
            protocolName: 'modbus',
            configData: { communicateMode: 'TCP', ip: '127.0.0.1', port, slaveID: d + 1, timeoutMs: 1000 },
          },
          properties: Array.from({ length: props }, (_, p) => ({
            name: `p${p}`,
            collectCycle: periodMs,
            reportCycle: periodMs,
            reportToCloud: true,
            visitors: {
              protocolName: 'modbus',
              configData: { register: 'HoldingRegister', offset: p, limit: 1, rawType: 'uint16', dataType: 'int' },
            },
          })),
        },
      }),
    );
  }
  return docs.join('---\n');
}

/** utime + stime of a process in ms (from /proc; 0 when it is gone). */
export function cpuMs(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** utime and stime of a process in ms (from /proc; 0 when it is gone). */
export function cpuTimes(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // USER_HZ is 100 on Linux.
    return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
  } catch {
    return { user: 0, system: 0 };
  }
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Replaces (or adds) `### <subsection>` in `## End to end` of bench/RESULTS.md. */
export function writeE2eSection(subsection: string, body: string): void {
  writeResultsSubsection('## End to end', 'bench/e2e.bench.ts', subsection, body);
}
