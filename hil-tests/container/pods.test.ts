/**
 * Edged's Pod handling against a real container engine: `podman system service` (runc) through
 * its Docker API, the kedge image built by deploy/container/build-image.sh. Start, stop, restart
 * policies with crash-loop back-off, memory and CPU limits, adoption by a new Edged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodStatus } from '../../src/contracts/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { DockerEngine } from '../../src/edge/edged/index.js';
import { PodManager } from '../../src/edge/edged/pods/pod-manager.js';
import type { Pod } from '../../src/model/index.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildKedgeImage,
  containersOf,
  inspect,
  podman,
  removeContainersOf,
  stablePort,
  startPodmanService,
} from './podman.js';

const NODE = 'hil-pods';
const BACKOFF = { initialMs: 300, maxMs: 1200, resetAfterMs: 60_000 };

let image: string;
let service: Awaited<ReturnType<typeof startPodmanService>>;
let engine: DockerEngine;

const pod = (
  name: string,
  script: string,
  extra: Partial<Pod['spec']> = {},
  container: Record<string, unknown> = {},
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` } as Pod['metadata'],
  spec: {
    nodeName: NODE,
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'app', image, command: ['node', '-e', script], ...container }],
    ...extra,
  },
});

function manager(statuses: Map<string, PodStatus>) {
  return new PodManager({
    engine: async () => engine,
    node: NODE,
    clock: systemClock,
    logger: silentLogger(),
    backoff: BACKOFF,
    onStatus: (p, s) => void statuses.set(p.metadata.name, s),
  });
}

async function until<T>(get: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitGone(owner: string): Promise<void> {
  const end = Date.now() + 40_000;
  while ((await containersOf(NODE, { 'io.kedge.owner': owner })).length > 0 && Date.now() < end)
    await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  [image, service] = await Promise.all([buildKedgeImage(), startPodmanService()]);
  engine = await DockerEngine.connect(service.socket);
  await removeContainersOf(NODE);
}, 300_000);

afterAll(async () => {
  await removeContainersOf(NODE).catch(() => undefined);
  await service?.stop();
});

describe('Pods on podman + runc', () => {
  it('starts a Pod (Running, env and args there), removes its container when the Pod goes', async () => {
    const statuses = new Map<string, PodStatus>();
    const m = manager(statuses);
    m.set([
      pod(
        'hello',
        'console.log("hello " + process.env.WHO); setInterval(() => {}, 1000)',
        {},
        { env: [{ name: 'WHO', value: 'edge' }] },
      ),
    ]);
    const s = await until(
      () => (statuses.get('hello')?.phase === 'Running' ? statuses.get('hello') : undefined),
      'Running',
    );
    expect(s.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0, state: { running: {} } });
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const [id] = await containersOf(NODE, { 'io.kedge.owner': 'default/hello' });
    expect(s.containerStatuses[0]!.containerID).toBe(`docker://${id}`);
    expect(m.views()).toEqual([expect.objectContaining({ namespace: 'default', name: 'hello', uid: 'uid-hello' })]);
    expect(await podman('logs', id!)).toContain('hello edge');
    m.set([]);
    await waitGone('default/hello');
    expect(await containersOf(NODE, { 'io.kedge.owner': 'default/hello' })).toEqual([]);
    m.detach();
  });

  it('restarts a failing container with back-off and says why (CrashLoopBackOff, exit code, restart count)', async () => {
    const statuses = new Map<string, PodStatus>();
    const m = manager(statuses);
    m.set([pod('crasher', 'console.log("bye"); process.exit(3)')]);
    const s = await until(() => {
      const st = statuses.get('crasher');
      return st && st.containerStatuses[0]!.restartCount >= 2 && st.containerStatuses[0]!.state.waiting
        ? st
        : undefined;
    }, 'two restarts in back-off');
    const c = s.containerStatuses[0]!;
    expect(c.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(c.state.waiting?.message).toContain('exited with code 3');
    expect(c.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(s.phase).toBe('Running');
    expect(s.reason).toBe('CrashLoopBackOff');
    // One container at a time: the ended one is removed when its successor is made.
    expect((await containersOf(NODE, { 'io.kedge.owner': 'default/crasher' })).length).toBe(1);
    m.set([]);
    m.detach();
  });

  it('restartPolicy Never leaves a failed container Failed; OnFailure leaves a successful one Succeeded', async () => {
    const statuses = new Map<string, PodStatus>();
    const m = manager(statuses);
    m.set([
      pod('once-bad', 'process.exit(2)', { restartPolicy: 'Never' }),
      pod('once-good', 'process.exit(0)', { restartPolicy: 'OnFailure' }),
    ]);
    const bad = await until(
      () => (statuses.get('once-bad')?.phase === 'Failed' ? statuses.get('once-bad') : undefined),
      'Failed',
    );
    const good = await until(
      () => (statuses.get('once-good')?.phase === 'Succeeded' ? statuses.get('once-good') : undefined),
      'Succeeded',
    );
    expect(bad.containerStatuses[0]).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 2, reason: 'Error' } },
    });
    expect(good.containerStatuses[0]).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    await new Promise((r) => setTimeout(r, BACKOFF.maxMs + 500));
    expect(statuses.get('once-bad')!.containerStatuses[0]!.restartCount).toBe(0);
    m.set([]);
    m.detach();
  });

  it('applies memory and CPU limits; a container over its memory limit is killed, and the status says so', async () => {
    const statuses = new Map<string, PodStatus>();
    const m = manager(statuses);
    m.set([
      pod('limited', 'setInterval(() => {}, 1000)', {}, { resources: { limits: { memory: '96Mi', cpu: '500m' } } }),
      pod(
        'hog',
        'const a = []; setInterval(() => { for (let i = 0; i < 20; i++) a.push(Buffer.alloc(1 << 20, 1)); }, 10)',
        { restartPolicy: 'Never' },
        { resources: { limits: { memory: '64Mi' } } },
      ),
    ]);
    await until(() => statuses.get('limited')?.phase === 'Running' || undefined, 'limited Running');
    const [id] = await containersOf(NODE, { 'io.kedge.owner': 'default/limited' });
    const info = await inspect(id!);
    expect(info.HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus ?? info.HostConfig.CpuQuota * 10_000).toBe(500_000_000);
    const hog = await until(
      () => (statuses.get('hog')?.phase === 'Failed' ? statuses.get('hog') : undefined),
      'hog Failed',
    );
    const t = hog.containerStatuses[0]!.state.terminated!;
    // Docker and podman on cgroup v2 say OOMKilled; podman on cgroup v1 (this machine) only shows the SIGKILL.
    if (t.reason !== 'OOMKilled')
      expect(t).toMatchObject({
        exitCode: 137,
        signal: 9,
        message: expect.stringContaining('memory limit of 67108864'),
      });
    m.set([]);
    m.detach();
  });

  it('hostNetwork false publishes its ports; hostPath volumes are bound (DirectoryOrCreate made first)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-hostpath-'));
    const data = join(dir, 'made-by-kedge');
    const port = await stablePort();
    const statuses = new Map<string, PodStatus>();
    const m = manager(statuses);
    const script =
      'require("fs").writeFileSync("/data/hello.txt", "written inside"); ' +
      'require("http").createServer((q, r) => r.end("pong from the pod")).listen(8080)';
    m.set([
      pod(
        'web',
        script,
        { hostNetwork: false, volumes: [{ name: 'data', hostPath: { path: data, type: 'DirectoryOrCreate' } }] },
        { ports: [{ containerPort: 8080, hostPort: port }], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      ),
    ]);
    try {
      await until(() => statuses.get('web')?.phase === 'Running' || undefined, 'web Running');
      let answer = '';
      const end = Date.now() + 20_000;
      while (!answer && Date.now() < end) {
        answer = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.text(),
          () => '',
        );
        if (!answer) await new Promise((r) => setTimeout(r, 200));
      }
      expect(answer).toBe('pong from the pod');
      expect(existsSync(join(data, 'hello.txt')) && readFileSync(join(data, 'hello.txt'), 'utf8')).toBe(
        'written inside',
      );
    } finally {
      m.set([]);
      await waitGone('default/web');
      m.detach();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a new Edged adopts the running containers of its Pods (the same container), never a second one', async () => {
    const statuses = new Map<string, PodStatus>();
    const first = manager(statuses);
    const p = pod('adoptee', 'setInterval(() => {}, 1000)');
    first.set([p]);
    await until(() => statuses.get('adoptee')?.phase === 'Running' || undefined, 'Running');
    const before = await containersOf(NODE, { 'io.kedge.owner': 'default/adoptee' });
    first.detach(); // the edge stops (or is killed): the container keeps running
    const again = new Map<string, PodStatus>();
    const second = manager(again);
    second.set([p]);
    const s = await until(
      () => (again.get('adoptee')?.phase === 'Running' ? again.get('adoptee') : undefined),
      'adopted',
    );
    expect(s.containerStatuses[0]!.containerID).toBe(`docker://${before[0]}`);
    expect(await containersOf(NODE, { 'io.kedge.owner': 'default/adoptee' })).toEqual(before);
    second.set([]);
    second.detach();
  });
});
