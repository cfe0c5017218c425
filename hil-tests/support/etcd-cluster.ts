/**
 * A real 3-member etcd cluster on loopback for tests: Debian's etcd-server (3.4), each member on
 * free ports with its own temp data dir, started and stopped by the test. Members can be killed
 * (SIGKILL), frozen (SIGSTOP: a member that is up but answers nothing, like one behind a dead
 * link) and started again on the same ports and data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './brokers.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child: ChildProcess | undefined;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** `etcd://127.0.0.1:a,127.0.0.1:b,127.0.0.1:c`, the form `kedge cloud --store` takes. */
  storeUrl: string;
  hosts: string[];
  kill(i: number): Promise<void>;
  start(i: number): Promise<void>;
  freeze(i: number): void;
  thaw(i: number): void;
  /** Stops every member and removes the data dirs. */
  close(): Promise<void>;
}

/** Throws (never skips) when etcd is not installed: .ci/run installs it. */
export function requireEtcd(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) throw new Error('etcd is not installed: apt-get install etcd-server etcd-client');
  return path;
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const binary = requireEtcd();
  const root = await mkdtemp(join(tmpdir(), 'kedge-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(root, `m${i}`),
      child: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `kedge-test-${process.pid}-${Date.now()}`;
  const launch = (m: EtcdMember) => {
    const child = spawn(
      binary,
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        token,
        '--initial-cluster-state',
        'new',
        // Loopback: short heartbeats make a leader change take about a second instead of several.
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
        '--logger',
        'zap',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    (child as ChildProcess & { lastErr: () => string }).lastErr = () => stderr;
    m.child = child;
  };
  for (const m of members) launch(m);
  const hosts = members.map((m) => m.clientUrl);
  try {
    await waitHealthy(hosts, members);
  } catch (err) {
    for (const m of members) m.child?.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const stopMember = async (m: EtcdMember, signal: NodeJS.Signals) => {
    const child = m.child;
    m.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  };
  return {
    members,
    hosts,
    storeUrl: `etcd://${members.map((m) => m.clientUrl.replace('http://', '')).join(',')}`,
    kill: (i) => stopMember(members[i]!, 'SIGKILL'),
    start: async (i) => {
      launch(members[i]!);
      await waitHealthy([members[i]!.clientUrl], [members[i]!]);
    },
    freeze: (i) => members[i]!.child?.kill('SIGSTOP'),
    thaw: (i) => members[i]!.child?.kill('SIGCONT'),
    close: async () => {
      await Promise.all(members.map((m) => stopMember(m, 'SIGKILL')));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Waits until every given endpoint answers `/health` with a leader (at most 20 s). */
async function waitHealthy(hosts: string[], members: EtcdMember[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const dead = members.find((m) => m.child && m.child.exitCode !== null);
    if (dead) {
      const err = (dead.child as ChildProcess & { lastErr?: () => string }).lastErr?.() ?? '';
      throw new Error(`etcd member ${dead.name} exited with ${dead.child!.exitCode}: ${err}`);
    }
    const ok = await Promise.all(
      hosts.map((h) =>
        fetch(`${h}/health`, { signal: AbortSignal.timeout(1000) })
          .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
          .catch(() => false),
      ),
    );
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`etcd cluster not healthy within 20 s (${hosts.join(', ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
