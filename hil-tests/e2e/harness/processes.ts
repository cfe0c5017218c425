import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/demo/ports.js';
import { spawnKedge } from './kedge.js';

/** A kedge process of a test: its output collected, stopped (or killed) by the test. */
export class KedgeProcess {
  output = '';
  private readonly closed: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    // However the test or benchmark ends, its kedge processes end with it.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    this.closed = new Promise((resolve) =>
      child.once('close', (code) => {
        process.removeListener('exit', kill);
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.closed;
    clearTimeout(timer);
    return code;
  }
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
  proc?: KedgeProcess[],
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    for (const p of proc ?? [])
      if (!p.running) throw new Error(`${p.name} exited while waiting for ${what}:\n${p.output.slice(-3000)}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

export interface CloudPorts {
  hub: number;
  api: number;
  mqtt: number;
  /** The join port (secure link only). */
  join?: number;
}

interface CloudOptions {
  secure?: boolean;
  extraArgs?: string[];
}

/** Starts `kedge cloud` on free ports, or on `given` ones (a restart after a kill keeps its ports). */
export async function startCloud(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  /**
   * Fixed ports (a restart on the same ones; default: free ones), or the link's options: `secure`
   * is the default link (wss://, node certificates, a join port); otherwise --insecure-link.
   */
  givenOrOptions?: CloudPorts | CloudOptions,
  options: CloudOptions = {},
): Promise<{ proc: KedgeProcess; ports: CloudPorts; api: string }> {
  const given = givenOrOptions !== undefined && 'hub' in givenOrOptions ? givenOrOptions : undefined;
  if (givenOrOptions !== undefined && !('hub' in givenOrOptions)) options = givenOrOptions;
  const ports: CloudPorts = given ?? { hub: await freePort(), api: await freePort(), mqtt: await freePort() };
  if (options.secure) ports.join ??= await freePort();
  const link = options.secure ? ['--join-port', `${ports.join}`] : ['--insecure-link'];
  const proc = new KedgeProcess(
    'cloud',
    spawnKedge(
      [
        'cloud',
        '--data-dir',
        dataDir,
        '--hub-host',
        '127.0.0.1',
        '--hub-port',
        `${ports.hub}`,
        '--api-port',
        `${ports.api}`,
        '--mqtt-port',
        `${ports.mqtt}`,
        ...link,
        ...(options.extraArgs ?? []),
      ],
      extraEnv,
    ),
  );
  const api = `http://127.0.0.1:${ports.api}`;
  await waitFor(() => httpOk(`${api}/healthz`), 'the cloud API', 60_000, [proc]);
  return { proc, ports, api };
}

export interface EdgeSetup {
  node: string;
  dataDir: string;
  cloudUrl: string;
  mqttPort: number;
  apiPort: number;
  mappers: 'process' | 'none';
}

export async function edgeSetup(
  node: string,
  dataDir: string,
  cloudUrl: string,
  mappers: EdgeSetup['mappers'],
): Promise<EdgeSetup> {
  return { node, dataDir, cloudUrl, mqttPort: await freePort(), apiPort: await freePort(), mappers };
}

/** Starts `kedge edge` (again, on the same folder and ports after a kill) and waits for its API. */
export async function startEdge(s: EdgeSetup, extraEnv: Record<string, string> = {}): Promise<KedgeProcess> {
  const proc = new KedgeProcess(
    'edge',
    spawnKedge(
      [
        'edge',
        '--node',
        s.node,
        '--data-dir',
        s.dataDir,
        '--cloud',
        s.cloudUrl,
        '--mqtt-port',
        `${s.mqttPort}`,
        '--api-port',
        `${s.apiPort}`,
        '--mappers',
        s.mappers,
      ],
      { KEDGE_EDGE__SERVICEBUS_PORT: `${await freePort()}`, ...extraEnv },
    ),
  );
  await waitFor(() => httpOk(`http://127.0.0.1:${s.apiPort}/healthz`), 'the edge API', 60_000, [proc]);
  return proc;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
