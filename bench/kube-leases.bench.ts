/**
 * What replica coordination on Kubernetes costs: R replicas, each with its leader election and
 * node presence on coordination.k8s.io Leases (as `kedge cloud --store kubernetes` runs them),
 * against the API server double in a process of its own. N edge nodes are claimed (a reconnect
 * storm: all at once, 128 at a time, as CloudHub prepares them), then the replicas idle for S
 * seconds with the leader watching the claims as EdgeController's leader work does. Counted: API
 * requests by kind during the storm and while idle, and this process's CPU (all replicas
 * together, the double excluded).
 *
 *   npx tsx bench/kube-leases.bench.ts [replicas=2] [nodes=10000] [seconds=90] [--write]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LeaseLeaderElection } from '../src/cloud/leader/index.js';
import { LeasePresence } from '../src/cloud/presence/index.js';
import type { ObjectStore } from '../src/cloud/store/index.js';
import { KubernetesObjectStore, loadKubeConfig } from '../src/cloud/store/kubernetes/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { writeResultsSubsection } from './results-file.js';

const nums = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const [replicas = 2, nodes = 10_000, seconds = 90] = nums;
const write = process.argv.includes('--write');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-leases-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'kube-apiserver-child.ts'), join(dir, 'kubeconfig')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  await next();
  const stats = async () => {
    child.stdin!.write('stats\n');
    return JSON.parse(await next()) as { total: number; counts: Record<string, number> };
  };
  const { kc } = loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig'), env: {} });
  const open = async () => ({
    store: (await KubernetesObjectStore.open({ kubeConfig: kc, required: ['Lease'] })) as ObjectStore,
    namespace: 'default',
  });
  const close = (s: ObjectStore) => s.close();
  const logger = silentLogger();
  const parts = Array.from({ length: replicas }, (_, i) => ({
    leader: new LeaseLeaderElection({ open, close, identity: `replica-${i}`, logger }),
    presence: new LeasePresence({ open, close, identity: `replica-${i}`, logger }),
  }));
  for (const p of parts) {
    await p.leader.start();
    await p.presence.start();
  }
  const leader = parts.find((p) => p.leader.leading)!;
  let events = 0;
  const watch = await leader.presence.watch(() => void events++);

  const beforeStorm = await stats();
  const stormCpu = process.cpuUsage();
  const stormStart = Date.now();
  const names = Array.from({ length: nodes }, (_, i) => `edge-${i}`);
  for (let i = 0; i < names.length; i += 128)
    await Promise.all(names.slice(i, i + 128).map((n, j) => parts[(i + j) % replicas]!.presence.claim(n)));
  const stormMs = Date.now() - stormStart;
  const stormCpuMs = cpuMs(process.cpuUsage(stormCpu));
  const afterStorm = await stats();

  await sleep(35_000); // the leader's next full list of the claims sees them all
  const eventsBefore = events;
  const idle0 = await stats();
  const idleCpu = process.cpuUsage();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const idleCpuMs = cpuMs(process.cpuUsage(idleCpu));
  const idle1 = await stats();
  const lapsed = events - eventsBefore;

  watch.stop();
  for (const p of parts) {
    await p.presence.stop();
    await p.leader.stop();
  }
  child.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
  const stormReq = diff(beforeStorm, afterStorm);
  const idleReq = diff(idle0, idle1);
  const out = [
    `- command: \`npx tsx bench/kube-leases.bench.ts ${replicas} ${nodes} ${seconds}\``,
    `- claim storm: ${nodes} nodes claimed in ${(stormMs / 1000).toFixed(1)} s (${((nodes / stormMs) * 1000).toFixed(0)}/s), ${stormReq.total} API requests (${(stormReq.total / nodes).toFixed(2)} per node: ${fmt(stormReq.counts)}), ${((stormCpuMs / nodes) * 1000).toFixed(0)} ms CPU per 1,000 claims`,
    `- idle, ${replicas} replicas holding ${nodes} nodes for ${elapsed.toFixed(0)} s: ${(idleReq.total / elapsed).toFixed(2)} API requests/s (${fmt(idleReq.counts)}), CPU ${(idleCpuMs / elapsed).toFixed(1)} ms/s for all replicas together; ${lapsed} claims seen to change (expected 0)`,
    `- node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model.trim()}, load average ${load.toFixed(1)} at the start; ${new Date().toISOString().slice(0, 10)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (write)
    writeResultsSubsection(
      '## Kubernetes: replica coordination on Leases',
      'bench/kube-leases.bench.ts',
      `${replicas} replicas, ${nodes} nodes`,
      out.join('\n'),
    );
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

function diff(
  a: { total: number; counts: Record<string, number> },
  b: { total: number; counts: Record<string, number> },
): { total: number; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.counts)) if (v - (a.counts[k] ?? 0) > 0) counts[k] = v - (a.counts[k] ?? 0);
  return { total: b.total - a.total, counts };
}

const fmt = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
