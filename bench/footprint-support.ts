/**
 * What the edge footprint benchmarks (issue 19: disk writes, memory, cold start) share: a
 * gateway-sized setup run as users run it. `node bin/kedge.js edge` over dist/ with the
 * environment of deploy/systemd/kedge-edge.service, its Modbus mapper a child process as Edged
 * starts it, 100 simulated Modbus TCP units whose registers follow sines (every reading a new
 * value: the worst case for on-change journaling), the devices applied in a `kedge cloud`
 * (insecure lab link) and synced to the edge.
 *
 * Disk writes are counted at the block device: the edge's data dir is its own ext4 file system
 * on a loop device (`/sys/block/loopN/stat` sectors written: WAL, checkpoints, the outbox, the
 * mapper logs, ext4's journal and metadata, after the kernel's page cache coalesced rewrites of
 * the same page, as on an SD card). That needs root; without it the figure is the edge process's
 * `write_bytes` only (/proc/<pid>/io: what it caused to be written, counted when pages are dirtied,
 * without the file system's journal).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ModbusSim, type SimPoint } from '../mappers/modbus/sim/index.js';
import { freePort } from '../src/demo/ports.js';
import { benchModel, procIo, rssMb } from './edge-bench-support.js';

export const root = join(import.meta.dirname, '..');
const KEDGE = join(root, 'bin', 'kedge.js');

/** NODE_OPTIONS and MALLOC_ARENA_MAX as the systemd unit sets them (read from the file, so the figures follow it). */
export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(root, 'deploy/systemd/kedge-edge.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(NODE_OPTIONS|MALLOC_ARENA_MAX)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

export function requireDist(): void {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
}

/** An ext4 file system of its own on a loop device, so that its block counters are the edge's alone. */
export class LoopDisk {
  private constructor(
    readonly image: string,
    readonly device: string,
    readonly mount: string,
  ) {}

  static available(): boolean {
    return process.getuid?.() === 0 && existsSync('/dev/loop-control');
  }

  /** Mounted noatime, as Raspberry Pi OS mounts its root file system; removed when the benchmark is stopped. */
  static create(sizeMiB = 2048): LoopDisk {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-loopdisk-'));
    const image = join(dir, 'disk.img');
    execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    const device = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    const mount = join(dir, 'mnt');
    mkdirSync(mount);
    execFileSync('mount', ['-o', 'noatime', device, mount]);
    const disk = new LoopDisk(image, device, mount);
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        for (const p of BenchProcess.all) p.child.kill('SIGKILL');
        setTimeout(() => {
          disk.remove();
          process.exit(130);
        }, 500);
      });
    return disk;
  }

  /** Bytes written to the device so far (after writing out what is dirty, so none is left uncounted). */
  writtenBytes(): number {
    execFileSync('sync', ['-f', this.mount]);
    const fields = readFileSync(`/sys/block/${basename(this.device)}/stat`, 'utf8')
      .trim()
      .split(/\s+/);
    return Number(fields[6]) * 512;
  }

  remove(): void {
    try {
      execFileSync('umount', [this.mount]);
    } finally {
      execFileSync('losetup', ['-d', this.device]);
      rmSync(join(this.image, '..'), { recursive: true, force: true });
    }
  }
}

/** 100 units x `props` float32 holding registers at offset 2p, each on a sine of its own period. */
export async function startSineSim(devices: number, props: number): Promise<{ sim: ModbusSim; port: number }> {
  const points: SimPoint[] = [];
  for (let u = 1; u <= devices; u++)
    for (let p = 0; p < props; p++)
      points.push({
        unit: u,
        table: 'HoldingRegister',
        offset: p * 2,
        rawType: 'float32',
        generator: { kind: 'sine', min: 15, max: 25, periodMs: 20_000 + ((u * props + p) % 97) * 1000 },
      });
  const sim = new ModbusSim({ points });
  const { port } = await sim.listenTcp();
  return { sim, port };
}

/** The bench devices (bench/edge-bench-support.ts), on `node`, polled every `cycleMs`. */
export function footprintDevices(node: string, devices: number, props: number, simPort: number, cycleMs: number) {
  const docs: unknown[] = [benchModel(props)];
  for (let i = 0; i < devices; i++)
    docs.push({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `dev-${i}`, namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'bench-meter' },
        nodeName: node,
        protocol: {
          protocolName: 'modbus',
          configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: simPort, slaveID: i + 1 },
        },
        properties: Array.from({ length: props }, (_, p) => ({
          name: `p${p}`,
          reportToCloud: p % 2 === 0,
          collectCycle: cycleMs,
          reportCycle: cycleMs,
          visitors: {
            protocolName: 'modbus',
            configData: { register: 'HoldingRegister', offset: p * 2, limit: 2, rawType: 'float32' },
          },
        })),
      },
    });
  return docs;
}

/** A kedge process of a benchmark; killed with the benchmark whatever way it ends. */
export class BenchProcess {
  /** Every one still running (killed when the benchmark is stopped by a signal). */
  static readonly all = new Set<BenchProcess>();
  output = '';
  private readonly closed: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    BenchProcess.all.add(this);
    this.closed = new Promise((resolve) =>
      child.once('close', (code) => {
        BenchProcess.all.delete(this);
        process.removeListener('exit', kill);
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.closed;
    clearTimeout(timer);
    return code;
  }
}

export function spawnKedge(name: string, args: string[], env: Record<string, string> = {}): BenchProcess {
  return new BenchProcess(
    name,
    spawn(process.execPath, [KEDGE, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }),
  );
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  procs: BenchProcess[] = [],
) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    for (const p of procs)
      if (!p.running) throw new Error(`${p.name} exited while waiting for ${what}:\n${p.output.slice(-3000)}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25)); // fine enough for the cold start figure
  }
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

export interface CloudHandle {
  proc: BenchProcess;
  hub: number;
  api: string;
  dataDir: string;
}

/** `kedge cloud` with the insecure lab link, on free ports, its data on the ordinary disk. */
export async function startCloud(
  dataDir: string,
  ports?: { hub: number; api: number; mqtt: number },
): Promise<CloudHandle> {
  const p = ports ?? { hub: await freePort(), api: await freePort(), mqtt: await freePort() };
  const proc = spawnKedge('cloud', [
    'cloud',
    '--data-dir',
    dataDir,
    '--hub-host',
    '127.0.0.1',
    '--hub-port',
    `${p.hub}`,
    '--api-port',
    `${p.api}`,
    '--mqtt-port',
    `${p.mqtt}`,
    '--insecure-link',
    '--log-level',
    'warn',
  ]);
  const api = `http://127.0.0.1:${p.api}`;
  await waitFor(() => httpOk(`${api}/healthz`), 'the cloud API', 60_000, [proc]);
  return { proc, hub: p.hub, api, dataDir };
}

export interface EdgeHandle {
  proc: BenchProcess;
  apiPort: number;
  mqttPort: number;
}

/** `kedge edge` as the systemd unit runs it (its environment), mappers as processes. */
export async function startEdge(opts: {
  node: string;
  dataDir: string;
  cloudUrl?: string;
  mappers?: 'process' | 'inprocess' | 'none';
  env?: Record<string, string>;
  ports?: { api: number; mqtt: number; servicebus: number };
}): Promise<EdgeHandle & { startedAt: number }> {
  const ports = opts.ports ?? { api: await freePort(), mqtt: await freePort(), servicebus: await freePort() };
  const startedAt = Date.now();
  const proc = spawnKedge(
    'edge',
    [
      'edge',
      '--node',
      opts.node,
      '--data-dir',
      opts.dataDir,
      ...(opts.cloudUrl ? ['--cloud', opts.cloudUrl] : []),
      '--mqtt-port',
      `${ports.mqtt}`,
      '--api-port',
      `${ports.api}`,
      '--servicebus-port',
      `${ports.servicebus}`,
      '--mappers',
      opts.mappers ?? 'process',
      '--log-level',
      'warn',
    ],
    { ...unitEnvironment(), ...opts.env },
  );
  await waitFor(() => httpOk(`http://127.0.0.1:${ports.api}/healthz`), 'the edge API', 60_000, [proc]);
  return { proc, apiPort: ports.api, mqttPort: ports.mqtt, startedAt };
}

export async function apply(api: string, documents: unknown[]): Promise<void> {
  const res = await fetch(`${api}/api/v1/apply`, {
    method: 'POST',
    body: JSON.stringify({ documents }),
    headers: { 'content-type': 'application/json' },
  });
  if (!res.ok) throw new Error(`apply to ${api} failed: ${res.status} ${await res.text()}`);
}

/** One counter (or gauge) of the edge's /metrics page, summed over its label sets matching `labels`. */
export async function edgeMetric(apiPort: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm')))
    if ((m[1] ?? '').includes(labels)) sum += Number(m[2]);
  return sum;
}

/** Cleansed readings so far (the pipeline's processed counter). */
export function processedReadings(apiPort: number): Promise<number> {
  return edgeMetric(apiPort, 'kedge_pipeline_readings_total', 'outcome="processed"');
}

/** RSS of a process's children (the mappers Edged started), in MB. */
export function childrenRss(pid: number): number {
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

export { procIo, rssMb };

/** The 1-minute load average now (beside every figure that depends on CPU time). */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
