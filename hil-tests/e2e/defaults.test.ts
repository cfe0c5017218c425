import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../../src/core/config/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { assertPortFree, portAnswers } from '../../src/demo/index.js';
import { waitUntil } from '../../src/cloud/testing/raw-edge.js';

/**
 * What a newcomer runs, as the README says, with no port flags at all: the compiled program
 * (`bin/kedge.js`, built by `npm ci`) on its default ports. Every other test picks free ports, so
 * without these a default nobody can use (10080, which fetch refuses) went unnoticed. When a
 * default port is taken on this machine (a kedge of someone else's, another test run), the test
 * says which and skips: it cannot run the defaults then.
 */
const BIN = join(packageRoot(), 'bin', 'kedge.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kedge(args: string[], timeoutMs = 60_000): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The default ports that are taken here (bound on any address), each with the flag that moves it. */
async function takenPorts(ports: Record<string, number>): Promise<string[]> {
  const taken: string[] = [];
  for (const [flag, port] of Object.entries(ports)) {
    try {
      await assertPortFree(port, flag, '0.0.0.0');
    } catch {
      taken.push(`${port} (${flag})`);
    }
  }
  return taken;
}

const CLOUD = {
  '--hub-port': DEFAULT_PORTS.cloudHub,
  '--api-port': DEFAULT_PORTS.cloudApi,
  '--mqtt-port': DEFAULT_PORTS.cloudMqtt,
};
const EDGE = {
  '--edge-mqtt-port': DEFAULT_PORTS.edgeMqtt,
  '--edge-api-port': DEFAULT_PORTS.edgeApi,
};

function skipNote(taken: string[]): string {
  return `default port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already taken on this machine: cannot run the defaults`;
}

describe('the defaults, as a newcomer runs them (bin/kedge.js, no port flags)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-defaults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kedge demo --duration 20 runs with no port flags and leaves nothing behind', async (ctx) => {
    const taken = await takenPorts({ ...CLOUD, ...EDGE });
    if (taken.length > 0) {
      console.warn(`kedge demo with defaults: ${skipNote(taken)}`);
      ctx.skip(skipNote(taken));
    }
    const res = await kedge(['demo', '--duration', '20'], 150_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`cloud: API http://127.0.0.1:${DEFAULT_PORTS.cloudApi}`);
    expect(res.stdout).toMatch(/default\/iologik-e1214-pump-house \S+=/);
    // The printed hint works as it is: the default --server, so none is named.
    expect(res.stdout).toMatch(/kedge twin set default\/\S+ \S+=\S+ --wait\n/);
    const folder = /starting; logs in (\S+)\/logs/.exec(res.stdout)![1]!;
    expect(existsSync(folder)).toBe(false);
    for (const port of Object.values({ ...CLOUD, ...EDGE })) expect(await portAnswers(port)).toBe(false);
  }, 180_000);

  it('kedge cloud, token create, edge join and edge on their defaults; kedge get nodes with no --server', async (ctx) => {
    const taken = await takenPorts({
      ...CLOUD,
      ...EDGE,
      'kedge cloud --join-port': DEFAULT_PORTS.cloudJoin,
      'kedge edge --servicebus-port': DEFAULT_PORTS.edgeServicebus,
    });
    if (taken.length > 0) {
      console.warn(`kedge cloud/edge with defaults: ${skipNote(taken)}`);
      ctx.skip(skipNote(taken));
    }
    const cloud = spawn(process.execPath, [BIN, 'cloud', '--data-dir', join(dir, 'cloud')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KEDGE_LOG__PRETTY: 'false' },
    });
    let logs = '';
    const collect = (c: ReturnType<typeof spawn>) => {
      c.stdout!.on('data', (d) => (logs += d));
      c.stderr!.on('data', (d) => (logs += d));
    };
    collect(cloud);
    let edge: ReturnType<typeof spawn> | undefined;
    try {
      await waitUntil(() => logs.includes('kedge cloud ready') || cloud.exitCode !== null, 'cloud ready', 30_000);
      expect(logs).toContain(`CLI uses http://127.0.0.1:${DEFAULT_PORTS.cloudApi}`);
      expect(logs).toContain(`edges connect to wss://<this host>:${DEFAULT_PORTS.cloudHub}`);
      // The README's join, on the default ports: a token, the join, then the edge with no --cloud.
      const token = await kedge(['token', 'create']);
      expect(token.code).toBe(0);
      const joined = await kedge([
        'edge',
        'join',
        '--cloud',
        `wss://127.0.0.1:${DEFAULT_PORTS.cloudHub}`,
        '--token',
        token.stdout.trim(),
        '--node',
        'defaults-1',
        '--data-dir',
        join(dir, 'edge'),
      ]);
      expect(joined.stderr).toBe('');
      expect(joined.code).toBe(0);
      edge = spawn(process.execPath, [BIN, 'edge', '--node', 'defaults-1', '--data-dir', join(dir, 'edge')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KEDGE_LOG__PRETTY: 'false' },
      });
      collect(edge);
      let nodes: Run = { code: null, stdout: '', stderr: '' };
      for (const end = Date.now() + 30_000; Date.now() < end; ) {
        nodes = await kedge(['get', 'nodes']);
        if (/defaults-1\s+Ready/.test(nodes.stdout)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(nodes.stderr).toBe('');
      expect(nodes.code).toBe(0);
      expect(nodes.stdout).toMatch(/^NAME\s+STATUS/);
      expect(nodes.stdout).toMatch(/defaults-1\s+Ready/);
      // The edge's local API on its default port, through --edge (no --server either).
      const local = await kedge(['get', 'devices', '--edge']);
      expect(local.stderr).toBe('');
      expect(local.code).toBe(0);
    } finally {
      for (const c of [edge, cloud]) {
        if (c && c.exitCode === null) {
          const gone = new Promise((r) => c.once('close', r));
          c.kill('SIGTERM');
          await gone;
        }
      }
    }
    expect(edge?.exitCode).toBe(0);
    expect(cloud.exitCode).toBe(0);
  }, 120_000);
});
