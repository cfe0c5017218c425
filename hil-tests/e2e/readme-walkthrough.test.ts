import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../../src/core/config/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { assertPortFree } from '../../src/demo/index.js';
import { waitUntil } from '../../src/cloud/testing/raw-edge.js';

/**
 * The README's "Running it for real" block, run line by line as written, with bash, from the
 * clone's root, on the default ports. Only two things change: /etc/kedge and /var/lib/kedge live
 * in a temporary folder. A line ending in `&` is a resident process (waited for until it says it
 * is ready or listening, stopped at the end); mosquitto_sub is stopped once telemetry arrived.
 */
const ROOT = packageRoot();

function walkthrough(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running it for real'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

interface Run {
  line: string;
  child: ChildProcess;
  out: string;
  code: number | null;
  done: Promise<void>;
}

function runLine(line: string, root: string): Run {
  const command = line
    .replace(/\s+#[^'"]*$/, '') // a trailing comment
    .replace(/\s*&$/, '')
    .replaceAll('/etc/kedge', `${root}/etc/kedge`)
    .replaceAll('/var/lib/kedge', `${root}/var/lib/kedge`);
  // Its own process group, so that stopping a resident line stops what bash started.
  const child = spawn('bash', ['-c', command], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEDGE_LOG__PRETTY: 'false' },
  });
  const run: Run = { line, child, out: '', code: null, done: Promise.resolve() };
  child.stdout!.on('data', (d) => (run.out += d));
  child.stderr!.on('data', (d) => (run.out += d));
  run.done = new Promise((resolve) =>
    child.once('close', (code) => {
      run.code = code;
      resolve();
    }),
  );
  return run;
}

function stop(run: Run): Promise<void> {
  if (run.code === null && run.child.pid !== undefined) {
    try {
      process.kill(-run.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  return run.done;
}

const PORTS: Record<string, number> = {
  'cloud --hub-port': DEFAULT_PORTS.cloudHub,
  'cloud --join-port': DEFAULT_PORTS.cloudJoin,
  'cloud --api-port': DEFAULT_PORTS.cloudApi,
  'cloud --mqtt-port': DEFAULT_PORTS.cloudMqtt,
  'edge --mqtt-port': DEFAULT_PORTS.edgeMqtt,
  'edge --api-port': DEFAULT_PORTS.edgeApi,
  'edge --servicebus-port': DEFAULT_PORTS.edgeServicebus,
  'the simulated E1214': 5020,
};

describe("the README's walkthrough, as written", () => {
  const root = mkdtempSync(join(tmpdir(), 'kedge-readme-'));
  const resident: Run[] = [];
  afterAll(async () => {
    await Promise.all(resident.map(stop));
    rmSync(root, { recursive: true, force: true });
  });

  it('runs every line: cloud, a private join token, the join, edge and simulator, then validate, apply, get, twin set --wait and MQTT', async (ctx) => {
    const taken: string[] = [];
    for (const [what, port] of Object.entries(PORTS)) {
      await assertPortFree(port, what).catch(() => taken.push(`${port} (${what})`));
    }
    if (taken.length > 0) {
      const note = `default ports taken on this machine: ${taken.join(', ')}; cannot run the README as written`;
      console.warn(note);
      ctx.skip(note);
    }
    const lines = walkthrough();
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const outputs: Record<string, string> = {};
    for (const line of lines) {
      const run = runLine(line, root);
      if (/&(\s+#.*)?$/.test(line)) {
        resident.push(run);
        await waitUntil(
          () => /kedge cloud ready|edge node ready|listening on/.test(run.out) || run.code !== null,
          `"${line}" to be ready`,
          60_000,
        );
        // Free when checked, taken since (another test run on this machine started on a default
        // port in between): the same as taken at the start.
        if (run.code !== null && run.out.includes('KEDGE_PORT_IN_USE')) {
          const note = `a default port was taken while the walkthrough started: ${run.out.trim().split('\n').at(-1)}`;
          console.warn(note);
          ctx.skip(note);
        }
        expect(run.code, `${line}\n${run.out}`).toBeNull();
      } else if (line.startsWith('mosquitto_sub')) {
        await waitUntil(
          () => run.out.includes('kedge/telemetry/default/iologik-e1214-pump-house ') || run.code !== null,
          'telemetry on the cloud broker',
          30_000,
        );
        await stop(run);
        outputs[line] = run.out;
      } else {
        const limit = setTimeout(() => void stop(run), 90_000);
        await run.done;
        clearTimeout(limit);
        expect(run.code, `${line}\n${run.out}`).toBe(0);
        outputs[line] = run.out;
      }
    }
    // The token step made a private folder and file; the join left the node's key private.
    expect(statSync(join(root, 'etc/kedge')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'etc/kedge/join-token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'var/lib/kedge/edge/pki/node.key')).mode & 0o777).toBe(0o600);
    for (const r of resident) expect(r.out).not.toContain('readable by every user');
    const find = (prefix: string) => Object.entries(outputs).find(([l]) => l.startsWith(prefix))![1];
    expect(find('npx kedge validate')).toContain('0 errors');
    expect(find('npx kedge apply')).toBe(
      'devicemodel/default/moxa-iologik-e1214 created\ndevice/default/iologik-e1214-pump-house created\n',
    );
    expect(find('npx kedge get devices')).toMatch(/default\s+iologik-e1214-pump-house\s+moxa-iologik-e1214\s+edge-1/);
    // The device the README names has a writable property, and the device confirmed the write.
    expect(find('npx kedge twin set')).toMatch(/relay-2\s+true\s+true\s+good\s+\S+\s+in sync/);
    expect(find('npx kedge get twin')).toMatch(/relay-2\s+true\s+true\s+good\s+\S+\s+in sync/);
    expect(find('mosquitto_sub')).toContain('"readings":[');
  }, 300_000);
});
