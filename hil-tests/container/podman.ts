import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A `podman system service` of the test's own, on a socket in a temp folder (the Docker API). */
export async function startPodmanService(): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-podman-'));
  const socket = join(dir, 'podman.sock');
  // cwd: conmon leaves a file named `oom` in its working folder when a container is OOM-killed.
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const end = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`podman system service exited: ${stderr}`);
    if (Date.now() > end) throw new Error(`podman system service made no socket in 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('close', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * deploy/container/build-image.sh, once at a time across test files (a lock folder): the first
 * caller builds, the others find the image by its content hash and only tag it.
 */
export async function buildKedgeImage(): Promise<string> {
  const lock = join(tmpdir(), 'kedge-build-image.lock');
  const end = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > end) throw new Error(`${lock} held for 5 minutes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const image = 'localhost/kedge:hil-test';
    await exec(join(ROOT, 'deploy/container/build-image.sh'), [image], { cwd: ROOT, maxBuffer: 1 << 24 });
    return image;
  } finally {
    rmdirSync(lock);
  }
}

export async function podman(...args: string[]): Promise<string> {
  return (await exec('podman', args, { maxBuffer: 1 << 24 })).stdout.trim();
}

/** Ids of the containers of `node` (running or not) with these labels. */
export async function containersOf(node: string, labels: Record<string, string> = {}, all = true): Promise<string[]> {
  const filters = Object.entries({ 'io.kedge.node': node, ...labels }).flatMap(([k, v]) => [
    '--filter',
    `label=${k}=${v}`,
  ]);
  const out = await podman('ps', ...(all ? ['-a'] : []), '--no-trunc', '--format', '{{.ID}}', ...filters);
  return out === '' ? [] : out.split('\n').sort();
}

export async function removeContainersOf(node: string): Promise<void> {
  const ids = await containersOf(node);
  if (ids.length > 0) await podman('rm', '-f', '-t', '0', ...ids);
}

// biome-ignore lint/suspicious/noExplicitAny: a test reads the engine's and the API's JSON as sent and asserts on it field by field
export async function inspect(id: string): Promise<Record<string, any>> {
  return JSON.parse(await podman('inspect', id))[0];
}

/**
 * A free port below Linux's ephemeral range (32768+): one the edge must listen on again after a
 * kill -9, which an outgoing connection (a mapper reconnecting meanwhile) could otherwise take.
 */
export async function stablePort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}
