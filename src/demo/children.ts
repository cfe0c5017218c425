import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoErrors } from './errors.js';

/** How to run `kedge <args>`: the same Node and entry script (and loader flags) as this process. */
export interface Invocation {
  command: string;
  prefix: string[];
}

export function selfInvocation(): Invocation {
  return { command: process.execPath, prefix: [...process.execArgv, process.argv[1]!] };
}

export interface SpawnOptions {
  /**
   * Resolves true once the process is ready (a port answers...); polled every 100 ms. What it
   * throws is kept: a start that times out names the last reason (never swallowed).
   */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  env?: Record<string, string>;
}

export interface ManagedChild {
  name: string;
  process: ChildProcess;
  logFile: string;
  exited: boolean;
}

/**
 * The demo's child processes: each one's output goes to `<logDir>/<name>.log`; start waits until
 * it is ready or fails with the end of its log; stopAll ends them (SIGTERM, SIGKILL after a grace
 * period), and they are killed too if this process exits any other way, so none is orphaned.
 */
export class ChildSet {
  private readonly children: ManagedChild[] = [];
  private stopping = false;
  private readonly onProcessExit = () => {
    for (const c of this.children) if (!c.exited) c.process.kill('SIGKILL');
  };

  constructor(
    private readonly invocation: Invocation,
    private readonly logDir: string,
    private readonly onUnexpectedExit: (child: ManagedChild, code: number | null) => void = () => undefined,
  ) {
    process.once('exit', this.onProcessExit);
  }

  get list(): readonly ManagedChild[] {
    return this.children;
  }

  async start(name: string, args: string[], options: SpawnOptions = {}): Promise<ManagedChild> {
    const logFile = join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile);
    const proc = spawn(this.invocation.command, [...this.invocation.prefix, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const child: ManagedChild = { name, process: proc, logFile, exited: false };
    this.children.push(child);
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    // 'close' comes after the child's output is fully read: the log is complete then.
    const exited = new Promise<number | null>((resolve) => {
      proc.once('close', (code) => {
        child.exited = true;
        log.end(() => resolve(code));
        if (!this.stopping) this.onUnexpectedExit(child, code);
      });
    });
    proc.once('error', (err) => log.write(`spawn failed: ${err.message}\n`));
    if (options.ready) await this.waitReady(child, options.ready, exited, options.readyTimeoutMs ?? 30_000);
    return child;
  }

  /** Ends every child, newest first (mappers before the edge before the cloud). */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const c of [...this.children].reverse()) await stopChild(c, graceMs);
    process.removeListener('exit', this.onProcessExit);
  }

  private async waitReady(
    child: ManagedChild,
    ready: () => Promise<boolean>,
    exited: Promise<number | null>,
    timeoutMs: number,
  ): Promise<void> {
    const end = Date.now() + timeoutMs;
    let lastProblem: string | undefined;
    for (;;) {
      if (child.exited) {
        const code = await exited;
        throw this.failed(
          child,
          `exited with code ${code ?? `null (${child.process.signalCode})`} before it was ready`,
        );
      }
      const ok = await ready().catch((err: unknown) => {
        lastProblem = err instanceof Error ? err.message : String(err);
        return false;
      });
      if (ok) return;
      if (Date.now() > end)
        throw this.failed(
          child,
          `not ready after ${timeoutMs} ms${lastProblem ? ` (last readiness check: ${lastProblem})` : ''}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private failed(child: ManagedChild, what: string) {
    let tail = '';
    try {
      tail = readFileSync(child.logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
    } catch {
      tail = '(no log)';
    }
    return demoErrors.create(
      'KEDGE_DEMO_CHILD_FAILED',
      `${child.name} ${what}; its log ${child.logFile} ends with:\n${tail}`,
    );
  }
}

async function stopChild(child: ManagedChild, graceMs: number): Promise<void> {
  if (child.exited || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.process.once('close', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
