import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import {
  BROWSE_FIRST_REQUEST_MS,
  BROWSE_REQUEST_MS,
  type EdgeChannels,
  type EdgeRequests,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { KedgeError } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { opcuaBrowseErrors } from './errors.js';

export interface OpcuaBrowseDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  logger: Logger;
  dataDir: string;
  /** Command prefix that runs `kedge` (default: this process's own entry point). */
  command?: string[];
  /** The browser process ends after this long without a request (default 2 min). */
  idleMs?: number;
}

const endpoint = { name: 'opcuabrowse', group: 'opcuabrowse' };

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * `opcua.browse` on the edge: the tag browser's requests (from the cloud over the link, or the
 * edge's own API) answered by a `kedge opcua-browse --serve` child process. The browse runs here
 * because the edge reaches the plant network; in a child because node-opcua is about 100 MB the
 * edge need not keep: the child starts on the first request and ends when browsing stops.
 */
export class OpcuaBrowse implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';
  /** Whether the current browser process has answered once (it is up, its certificate made). */
  private warm = false;
  private undo: (() => void) | undefined;

  constructor(private readonly deps: OpcuaBrowseDeps) {}

  async start(): Promise<void> {
    this.undo = this.deps.bus.serve('opcua.browse', endpoint, (params) => this.browse(params));
  }

  async stop(): Promise<void> {
    this.undo?.();
    this.undo = undefined;
    this.end('the edge is stopping');
  }

  browse(params: unknown): Promise<unknown> {
    const child = this.ensureChild();
    const id = this.nextId++;
    this.touch();
    const ms = this.warm ? BROWSE_REQUEST_MS : BROWSE_FIRST_REQUEST_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const starting = this.warm ? '' : ' (the first browse also starts the browser on the node)';
        reject(
          opcuaBrowseErrors.create('KEDGE_OPCUABROWSE_TIMEOUT', `browsing took longer than ${ms / 1000} s${starting}`),
        );
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ id, params })}\n`);
    });
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const [cmd, ...prefix] = this.deps.command ?? [process.execPath, ...process.execArgv, process.argv[1]!];
    const args = [...prefix, 'opcua-browse', '--serve', '--data-dir', join(this.deps.dataDir, 'opcua-browse')];
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.warm = false;
    this.stderrTail = '';
    this.deps.logger.info({ pid: child.pid }, 'OPC UA browser started');
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    child.on('error', (err) => this.lost(child, `cannot start the OPC UA browser: ${err.message}`));
    child.on('exit', (code, signal) => this.lost(child, `the OPC UA browser ended (code ${code}, signal ${signal})`));
    return child;
  }

  private onLine(line: string): void {
    let msg: {
      id?: number;
      ok?: boolean;
      result?: unknown;
      error?: { code: string; message: string; hint?: string; status?: number };
    };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // not ours (a library's output): answers are whole JSON lines
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    this.warm = true;
    this.pending.delete(msg.id!);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else {
      const e = msg.error ?? { code: 'KEDGE_OPCUABROWSE_FAILED', message: 'no reason given' };
      p.reject(new KedgeError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), status: e.status ?? 502 }));
    }
  }

  private lost(child: ChildProcessWithoutNullStreams, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    const why = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(opcuaBrowseErrors.create('KEDGE_OPCUABROWSE_FAILED', `${reason}${why ? `: ${why}` : ''}`));
      this.pending.delete(id);
    }
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) this.end('idle');
      else this.touch();
    }, this.deps.idleMs ?? 120_000);
    this.idleTimer.unref();
  }

  private end(why: string): void {
    clearTimeout(this.idleTimer);
    const child = this.child;
    if (!child) return;
    this.deps.logger.info({ pid: child.pid, why }, 'OPC UA browser stopping');
    child.stdin.end(); // it finishes what it has and exits
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    kill.unref();
    child.once('exit', () => clearTimeout(kill));
  }
}
