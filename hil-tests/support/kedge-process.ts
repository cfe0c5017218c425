/**
 * Runs `kedge` as a child process (`node --import tsx src/cli/main.ts ...`) and stops it again.
 * Until the lead wires a command into src/cli/program.ts, `entry` can name a test entry file that
 * registers it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths/index.js';

export interface KedgeProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout+stderr match `pattern`; rejects on exit or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM (or the given signal), then waits for exit; SIGKILL after 10 s. Returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export const root = packageRoot();

export function spawnKedge(
  args: string[],
  options: { entry?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; plain?: boolean } = {},
): KedgeProcess {
  const entry = options.entry ?? join(root, 'src/cli/main.ts');
  // `plain`: the entry is compiled JavaScript, run without the tsx loader.
  const loader = options.plain ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, entry, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out + err);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `kedge ${args.join(' ')}: no output matching ${pattern} within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`,
            ),
          );
        }, timeoutMs);
        const onExit = (code: number | null) => {
          done();
          reject(
            new Error(
              `kedge ${args.join(' ')} exited with ${code} before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`,
            ),
          );
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill(signal);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}
