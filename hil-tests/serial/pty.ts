/**
 * A socat pseudo-terminal pair with stable symlinks in a temp dir, standing in for a serial cable:
 * `a` for the simulator, `b` for the driver. `unplug()` kills socat (both ptys vanish, like a USB
 * adapter pulled out) and `replug()` starts a new socat on the same link paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  dir: string;
  a: string;
  b: string;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'kedge-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let child: ChildProcess | undefined;
  const unplug = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  const replug = async () => {
    await unplug();
    child = await startSocat(a, b, timeoutMs);
  };
  await replug();
  return {
    dir,
    a,
    b,
    unplug,
    replug,
    cleanup: async () => {
      await unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts socat and waits until both links exist; fails loudly when socat is missing. */
async function startSocat(a: string, b: string, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new Error(`cannot run socat (${err.message}); install it: apt-get install socat`)),
    ),
  );
  const ready = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(a) && existsSync(b))) {
      if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`socat links ${a} and ${b} did not appear within ${timeoutMs} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}
