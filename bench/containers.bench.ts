/**
 * Edged on a real container engine: how long a Pod takes from Edged getting it to its container
 * running, and how long a new Edged takes to adopt running Pods (an edge restart), with podman +
 * runc through `podman system service`. Also the kedge image build, cold and cached.
 *
 *   npx tsx bench/containers.bench.ts [pods=10]
 */
import { execFileSync } from 'node:child_process';
import { systemClock } from '../src/core/clock/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { DockerEngine } from '../src/edge/edged/index.js';
import { PodManager } from '../src/edge/edged/pods/pod-manager.js';
import type { Pod } from '../src/model/index.js';
import { buildKedgeImage, removeContainersOf, startPodmanService } from '../hil-tests/container/podman.js';

const NODE = 'bench-containers';
const count = Number(process.argv[2] ?? 10);

const pod = (i: number, image: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'default', uid: `uid-${i}` } as Pod['metadata'],
  spec: {
    nodeName: NODE,
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'app', image, command: ['node', '-e', 'setInterval(() => {}, 1000)'] }],
  },
});

function manager(engine: DockerEngine, running: Map<string, number>): PodManager {
  return new PodManager({
    engine: async () => engine,
    node: NODE,
    clock: systemClock,
    logger: silentLogger(),
    onStatus: (p, s) => {
      if (s.phase === 'Running' && !running.has(p.metadata.name)) running.set(p.metadata.name, performance.now());
    },
  });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const t0 = performance.now();
// Cold: no kedge image at all (every tag of it, the content-hash one included).
const tags = execFileSync('podman', [
  'images',
  '--filter',
  'reference=localhost/kedge',
  '--format',
  '{{.Repository}}:{{.Tag}}',
])
  .toString()
  .split('\n')
  .filter(Boolean);
if (tags.length > 0) execFileSync('podman', ['rmi', '-f', ...tags], { stdio: 'ignore' });
const image = await buildKedgeImage();
const firstBuild = performance.now() - t0;
const t1 = performance.now();
await buildKedgeImage();
const cachedBuild = performance.now() - t1;

const service = await startPodmanService();
const engine = await DockerEngine.connect(service.socket);
await removeContainersOf(NODE);
try {
  const running = new Map<string, number>();
  const first = manager(engine, running);
  const pods: Pod[] = [];
  const startMs: number[] = [];
  for (let i = 0; i < count; i++) {
    pods.push(pod(i, image));
    const at = performance.now();
    first.set([...pods]);
    await until(() => running.has(`p${i}`));
    startMs.push(running.get(`p${i}`)! - at);
  }
  first.detach();
  const adopted = new Map<string, number>();
  const second = manager(engine, adopted);
  const at = performance.now();
  second.set(pods);
  await until(() => adopted.size === count);
  const adoptMs = Math.max(...adopted.values()) - at;
  second.set([]);
  second.detach();
  console.log(
    JSON.stringify(
      {
        imageBuildColdMs: Math.round(firstBuild),
        imageBuildCachedMs: Math.round(cachedBuild),
        pods: count,
        podStartMedianMs: Math.round(median(startMs)),
        podStartMaxMs: Math.round(Math.max(...startMs)),
        adoptAllMs: Math.round(adoptMs),
        loadAverage: (await import('node:os')).loadavg().map((l) => l.toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  await removeContainersOf(NODE);
  await service.stop();
}
