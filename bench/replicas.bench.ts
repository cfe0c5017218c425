/**
 * Cloud replicas on etcd (issue 22). Real processes on loopback: a 3-member etcd cluster
 * (Debian's etcd-server), Mosquitto, `kedge cloud --store etcd://... --mqtt-url ...` from dist/.
 *
 *   npm run build
 *   npx tsx bench/replicas.bench.ts idle [connections=10000] [steadySeconds=60]
 *     one replica holding N idle edge nodes (bench/cloudhub-clients.ts, keepalive every 15 s):
 *     connect time, nodes ready, keepalive timeouts, the replica's RSS and CPU, etcd's CPU.
 *   npx tsx bench/replicas.bench.ts cpu [replicas=1] [seconds=30] [nodes=4] [devicesPerNode=5] [readingsPerDevice=5]
 *     edge nodes spread over the replicas (bench/replicas-load.ts: one telemetrycolumns message per node
 *     every 50 ms, as EdgeHub batches; 2,000 readings/s by default); CPU of the replicas and of
 *     etcd per 1,000 readings.
 *
 * Prints one JSON object; the figures go into bench/RESULTS.md by hand (with what else ran).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMosquitto } from '../hil-tests/support/brokers.js';
import { startEtcdCluster } from '../hil-tests/support/etcd-cluster.js';
import { freePort } from '../src/demo/ports.js';

const [mode = 'idle', ...rest] = process.argv.slice(2);
const nums = rest.filter((a) => /^\d+$/.test(a)).map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WARMUP_S = 10;

/** utime + stime of a process, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface Replica {
  child: ChildProcess;
  hub: number;
  api: string;
}

async function startReplica(id: string, dir: string, store: string, mqttUrl: string): Promise<Replica> {
  const hub = await freePort();
  const apiPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/kedge.js'),
      'cloud',
      '--data-dir',
      join(dir, id),
      '--store',
      store,
      '--replica-id',
      id,
      '--mqtt-url',
      mqttUrl,
      '--hub-host',
      '127.0.0.1',
      '--hub-port',
      `${hub}`,
      '--api-port',
      `${apiPort}`,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`replica ${id} exited with ${child.exitCode}`);
    if (
      await fetch(`${api}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, hub, api };
    await sleep(100);
  }
  throw new Error(`replica ${id} did not start`);
}

async function readyNodes(api: string): Promise<number> {
  const res = await fetch(`${api}/api/v1/nodes`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
  if (!res?.ok) return -1;
  return ((await res.json()) as { items: Array<{ ready: boolean }> }).items.filter((n) => n.ready).length;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function idle(connections: number, steadySeconds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-replicas-'));
  const etcd = await startEtcdCluster();
  const broker = await startMosquitto();
  const etcdPids = etcd.members.map((m) => m.child!.pid!);
  try {
    const r = await startReplica('idle', dir, etcd.storeUrl, broker.url);
    const baseMb = rssMb(r.child.pid!);
    const started = Date.now();
    const clients = fork(
      fileURLToPath(new URL('./cloudhub-clients.ts', import.meta.url)),
      [String(r.hub), String(connections), '15000'],
      { execArgv: ['--import', 'tsx'] },
    );
    let stats = { open: 0, closed: 0, errors: 0, heartbeats: 0 };
    const opened = await new Promise<{ open: number; errors: number }>((resolve) =>
      clients.on('message', (m: { type: string } & typeof stats) => {
        if (m.type === 'connected') resolve(m);
        if (m.type === 'stats') stats = m;
      }),
    );
    const connectSeconds = (Date.now() - started) / 1000;
    let ready = 0;
    for (let i = 0; i < 240 && ready < connections; i++) {
      ready = await readyNodes(r.api);
      if (ready < connections) await sleep(500);
    }
    const readySeconds = (Date.now() - started) / 1000;
    const c0 = cpuMs(r.child.pid!);
    const e0 = etcdPids.reduce((n, p) => n + cpuMs(p), 0);
    const t0 = Date.now();
    let peakMb = 0;
    for (let s = 0; s < steadySeconds; s++) {
      await sleep(1000);
      peakMb = Math.max(peakMb, rssMb(r.child.pid!));
    }
    const wall = Date.now() - t0;
    const result = {
      mode: 'idle',
      connections,
      opened: opened.open,
      clientErrors: opened.errors,
      connectSeconds,
      ready,
      readySeconds,
      readyAtEnd: await readyNodes(r.api),
      closedByCloud: stats.closed,
      replicaCpuPercent: ((cpuMs(r.child.pid!) - c0) / wall) * 100,
      etcdCpuPercent: ((etcdPids.reduce((n, p) => n + cpuMs(p), 0) - e0) / wall) * 100,
      replicaRssMb: { before: baseMb, peak: peakMb, perConnectionKb: ((peakMb - baseMb) * 1024) / connections },
      loadAverageAtStart: loadavg()[0],
    };
    clients.send({ type: 'stop' });
    await new Promise((res) => clients.once('exit', res));
    await stop(r.child);
    return result;
  } finally {
    await broker.close();
    await etcd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cpu(
  replicas: number,
  seconds: number,
  nodes: number,
  devices: number,
  perDevice: number,
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-replicas-'));
  const etcd = await startEtcdCluster();
  const broker = await startMosquitto();
  const load0 = loadavg()[0];
  try {
    const rs: Replica[] = [];
    for (let i = 0; i < replicas; i++) rs.push(await startReplica(`r${i}`, dir, etcd.storeUrl, broker.url));
    const docs = [
      {
        apiVersion: 'devices.kubeedge.io/v1beta1',
        kind: 'DeviceModel',
        metadata: { name: 'm', namespace: 'default' },
        spec: { protocol: 'modbus', properties: [{ name: 'p', type: 'INT', accessMode: 'ReadOnly' }] },
      },
      ...Array.from({ length: nodes * devices }, (_, k) => ({
        apiVersion: 'devices.kubeedge.io/v1beta1',
        kind: 'Device',
        metadata: { name: `load-${Math.floor(k / devices)}-dev-${k % devices}`, namespace: 'default' },
        spec: {
          deviceModelRef: { name: 'm' },
          nodeName: `load-${Math.floor(k / devices)}`,
          protocol: {
            protocolName: 'modbus',
            configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 502, slaveID: 1 },
          },
          properties: [
            {
              name: 'p',
              visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: 0, limit: 1 } },
            },
          ],
        },
      })),
    ];
    const applied = await fetch(`${rs[0]!.api}/api/v1/apply`, {
      method: 'POST',
      body: JSON.stringify({ documents: docs }),
    });
    if (applied.status !== 200) throw new Error(`apply failed: ${await applied.text()}`);
    await sleep(2000); // every replica has the devices (watch)
    const load = fork(
      fileURLToPath(new URL('./replicas-load.ts', import.meta.url)),
      [rs.map((r) => r.hub).join(','), ...[broker.port, nodes, devices, perDevice, seconds].map(String)],
      { execArgv: ['--import', 'tsx'] },
    );
    const next = (type: string) =>
      new Promise<Record<string, number>>((resolve) =>
        load.on('message', (m: { type: string }) => m.type === type && resolve(m as unknown as Record<string, number>)),
      );
    await next('ready');
    await sleep(1000);
    const pids = { replicas: rs.map((r) => r.child.pid!), etcd: etcd.members.map((m) => m.child!.pid!) };
    const sum = (ps: number[]) => ps.reduce((n, p) => n + cpuMs(p), 0);
    let progress = 0;
    load.on('message', (m: { type: string; acked?: number }) => {
      if (m.type === 'progress') progress = m.acked ?? 0;
    });
    load.send({ type: 'go' });
    // The first seconds are left out: each replica process compiles its hot paths then (JIT).
    await sleep(WARMUP_S * 1000);
    const r0 = sum(pids.replicas);
    const e0 = sum(pids.etcd);
    const a0 = progress;
    const t0 = Date.now();
    const done = await next('done');
    const wall = Date.now() - t0;
    const replicaMs = sum(pids.replicas) - r0;
    const etcdMs = sum(pids.etcd) - e0;
    const measured = done.acked! - a0;
    const result = {
      mode: 'cpu',
      replicas,
      nodes,
      devicesPerNode: devices,
      seconds,
      readingsPerDevice: perDevice,
      offeredPerSecond: (nodes * devices * perDevice * 1000) / 50,
      sent: done.sent,
      acked: done.acked,
      skippedWindowFull: done.skipped,
      consumerReadings: done.receivedReadings,
      consumerDuplicates: done.duplicates,
      replicaCpuMs: replicaMs,
      measuredReadings: measured,
      replicaMsPer1000: (replicaMs / measured) * 1000,
      etcdMsPer1000: (etcdMs / measured) * 1000,
      replicaCpuPercent: (replicaMs / wall) * 100,
      loadAverageAtStart: load0,
    };
    for (const r of rs) await stop(r.child);
    return result;
  } finally {
    await broker.close();
    await etcd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const result =
  mode === 'cpu'
    ? await cpu(nums[0] ?? 1, nums[1] ?? 30, nums[2] ?? 4, nums[3] ?? 5, nums[4] ?? 5)
    : await idle(nums[0] ?? 10_000, nums[1] ?? 60);
console.log(JSON.stringify(result, null, 2));
process.exit(0);
