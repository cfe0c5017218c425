import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgedErrors } from './errors.js';
import { RotatingLog, type LogBudget } from './rotating-log.js';

/** One mapper workload to run. */
export interface WorkloadSpec {
  name: string;
  protocols: string[];
  node: string;
  mqttUrl: string;
  /** The password of the URL's user on the edge broker (broker access); a child gets it in its environment, not on its command line. */
  mqttPassword?: string;
  /** `<data-dir>`: logs go to `<data-dir>/logs/`, driver state to `<data-dir>/mappers/<name>/`. */
  dataDir: string;
  /** Host devices the mapper's devices use (serial ports, GPIO chips): passed into a container. */
  devices?: string[];
  /** The mapper's buffer while the broker is away (`mapper.bufferBytes`, `mapper.offlinePollMs`). */
  buffer?: { bytes: number; offlinePollMs: number };
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
  cleanupOrphans?(dataDir: string): void | Promise<void>;
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
    ...(spec.buffer
      ? ['--buffer-bytes', String(spec.buffer.bytes), '--offline-poll-ms', String(spec.buffer.offlinePollMs)]
      : []),
  ];
}

/**
 * How long an orphaned mapper gets to stop after SIGTERM: it writes the readings it held while
 * the edge was down to its held-readings file, which the new mapper sends first.
 */
const ORPHAN_GRACE_MS = 5000;

/** One `kedge mapper` child process per workload, its output in a rotating log file. */
export class ChildProcessRuntime implements ProcessRuntime {
  constructor(
    private readonly command: string[],
    private readonly log: { maxBytes?: number; keep?: number; budget?: LogBudget } = {},
  ) {}

  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    const [cmd, ...prefix] = this.command;
    const stateDir = join(spec.dataDir, 'mappers', spec.name);
    mkdirSync(stateDir, { recursive: true });
    const log = new RotatingLog(
      join(spec.dataDir, 'logs', `mapper-${spec.name}.log`),
      this.log.maxBytes,
      this.log.keep,
      this.log.budget,
    );
    const args = [...prefix, ...mapperArgs(spec, stateDir)];
    const env =
      spec.mqttPassword === undefined ? process.env : { ...process.env, KEDGE_MQTT_PASSWORD: spec.mqttPassword };
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
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
    try {
      writeFileSync(pidFile(spec.dataDir, spec.name), String(child.pid));
    } catch {
      // A full disk: the mapper runs all the same; only a restart after a kill -9 would not find it.
    }
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

  /**
   * Mappers of a previous edge process (killed -9) are still running: each gets SIGTERM, so that it
   * keeps what it polled meanwhile for its successor, and SIGKILL if it has not ended in time.
   */
  async cleanupOrphans(dataDir: string, graceMs = ORPHAN_GRACE_MS): Promise<void> {
    const dir = join(dataDir, 'mappers');
    let names: string[];
    try {
      names = readdirNames(dir);
    } catch {
      return;
    }
    const orphans: number[] = [];
    for (const name of names) {
      const file = pidFile(dataDir, name);
      let pid: number;
      try {
        pid = Number(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      // Only a process that is still a kedge mapper of this name: pids get reused.
      if (Number.isInteger(pid) && pid > 0 && cmdlineOf(pid).includes(`--name\0${name}`) && signal(pid, 'SIGTERM'))
        orphans.push(pid);
      rmSync(file, { force: true });
    }
    const until = Date.now() + graceMs;
    while (orphans.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const pid of orphans.filter(alive)) signal(pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}

/** Running (a zombie waiting for its new parent to reap it has ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
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
