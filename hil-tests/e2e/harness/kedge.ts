import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `node --import tsx kedge-entry.ts`: how the e2e tests run kedge commands as real processes. */
export const KEDGE_ENTRY = fileURLToPath(new URL('./kedge-entry.ts', import.meta.url));
export const KEDGE_ARGS = ['--import', 'tsx', KEDGE_ENTRY];

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `kedge <args>` to its end (killed with SIGKILL after `timeoutMs`). */
export function runKedge(
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const child = spawnKedge(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** KEDGE_E2E_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to every kedge process, for profiling. */
export function spawnKedge(args: string[], env: Record<string, string> = {}): ChildProcess {
  const nodeFlags = (process.env.KEDGE_E2E_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...nodeFlags, ...KEDGE_ARGS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}
