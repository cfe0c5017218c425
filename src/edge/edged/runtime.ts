import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgedErrors } from './errors.js';
import { RotatingLog } from './rotating-log.js';

/** One mapper workload to run. */
export interface WorkloadSpec {
  name: string;
  protocols: string[];
  node: string;
  mqttUrl: string;
  /** `<data-dir>`: logs go to `<data-dir>/logs/`, driver state to `<data-dir>/mappers/<name>/`. */
  dataDir: string;
  /** Host devices the mapper's devices use (serial ports, GPIO chips): passed into a container. */
  devices?: string[];
}

export interface RunningWorkload {
  readonly pid: number | undefined;
  /** Settles when the workload ends, with why. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Asks it to stop; kills it after `graceMs`. Resolves once it has ended. */
  stop(graceMs: number): Promise<void>;
  /**
   * Leaves it running when the edge stops (containers: the next edge process adopts them).
   * Without it the workload is stopped with the edge.
   */
  detach?(): void;
}

/**
 * How Edged runs mapper workloads: child processes, in this process, or containers
 * (`container/mapper-runtime.ts`). Pods run on a `ContainerEngine` (`pods/`), not through this.
 */
export interface ProcessRuntime {
  /** Starts the workload, or adopts the one a previous edge process left running with the same spec. */
  run(spec: WorkloadSpec): Promise<RunningWorkload>;
  /** Ends workloads a previous edge process left behind (after a kill -9). */
  cleanupOrphans?(dataDir: string): void;
  /** Removes workloads of this node a previous edge process left that are not in `keep` (names). */
  prune?(keep: string[]): Promise<void>;
}

/** The arguments of `kedge mapper` for a workload, its driver state in `stateDir` (host or container path). */
export function mapperArgs(spec: WorkloadSpec, stateDir: string): string[] {
  const { protocols, mqttUrl, node, name } = spec;
  return [
    'mapper',
    '--protocol',
    protocols.join(','),
    '--mqtt-url',
    mqttUrl,
    '--node',
    node,
    '--name',
    name,
    '--data-dir',
    stateDir,
  ];
}

/** One `kedge mapper` child process per workload, its output in a rotating log file. */
export class ChildProcessRuntime implements ProcessRuntime {
  constructor(
    private readonly command: string[],
    private readonly log: { maxBytes?: number; keep?: number } = {},
  ) {}

  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    const [cmd, ...prefix] = this.command;
    const stateDir = join(spec.dataDir, 'mappers', spec.name);
    mkdirSync(stateDir, { recursive: true });
    const log = new RotatingLog(
      join(spec.dataDir, 'logs', `mapper-${spec.name}.log`),
      this.log.maxBytes,
      this.log.keep,
    );
    const args = [...prefix, ...mapperArgs(spec, stateDir)];
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child.stdout.on('data', (c: Buffer) => log.write(c));
    child.stderr.on('data', (c: Buffer) => log.write(c));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        log.write(`kedge edged: cannot start ${cmd}: ${err.message}\n`);
        resolve({ code: -1, signal: null });
      });
    }).finally(() => {
      log.close();
      rmSync(pidFile(spec.dataDir, spec.name), { force: true });
    });
    if (child.pid === undefined) {
      const why = await exited;
      throw edgedErrors.create('KEDGE_EDGED_SPAWN', `cannot start mapper ${spec.name} with ${cmd} (exit ${why.code})`);
    }
    writeFileSync(pidFile(spec.dataDir, spec.name), String(child.pid));
    return {
      pid: child.pid,
      exited,
      stop: async (graceMs) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
  }

  cleanupOrphans(dataDir: string): void {
    const dir = join(dataDir, 'mappers');
    let names: string[];
    try {
      names = readdirNames(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = pidFile(dataDir, name);
      let pid: number;
      try {
        pid = Number(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      // Only a process that is still a kedge mapper of this name: pids get reused.
      if (Number.isInteger(pid) && pid > 0 && cmdlineOf(pid).includes(`--name\0${name}`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(file, { force: true });
    }
  }
}

function pidFile(dataDir: string, name: string): string {
  return join(dataDir, 'mappers', name, 'mapper.pid');
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function readdirNames(dir: string): string[] {
  return readdirSync(dir);
}
