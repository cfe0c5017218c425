/**
 * A standalone edge node driven by the CLI clients only (no cloud): `kedge apply` a device-model
 * file from the library, `kedge get`, `kedge twin set`, all against the edge's local API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/brokers.js';
import { root, spawnKedge, type KedgeProcess } from '../support/kedge-process.js';

const entry = join(import.meta.dirname, 'cli-entry.ts');

function kedge(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kedge edge standalone with the CLI', () => {
  let edge: KedgeProcess | undefined;
  let dataDir = '';
  afterEach(async () => {
    await edge?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('kedge apply / get / twin set against the edge API; SIGTERM exits 0', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kedge-edge-cli-'));
    const [mqtt, api, sb] = [await freePort(), await freePort(), await freePort()];
    // The library's example device is for node edge-1.
    edge = spawnKedge(
      [
        'edge',
        '--node',
        'edge-1',
        '--data-dir',
        dataDir,
        '--mqtt-port',
        String(mqtt),
        '--api-port',
        String(api),
        '--mappers',
        'none',
        '--cloud',
        'ws://127.0.0.1:1',
      ],
      {
        entry,
        env: { KEDGE_EDGE__SERVICEBUS_PORT: String(sb) },
      },
    );
    await edge.waitForOutput(/edge node ready/);
    expect(edge.stderr()).toContain('ws://127.0.0.1:1');
    const server = `http://127.0.0.1:${api}`;
    const applied = kedge(['apply', '-f', join(root, 'device-models/moxa-iologik-e1214.yaml'), '--server', server]);
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/created/);
    const devices = kedge(['get', 'devices', '--server', server, '-o', 'json']);
    expect(devices.status, devices.stderr).toBe(0);
    const names = JSON.parse(devices.stdout) as
      | { items?: Array<{ metadata: { name: string } }> }
      | Array<{ metadata: { name: string } }>;
    const list = Array.isArray(names) ? names : (names.items ?? []);
    expect(list.map((d) => d.metadata.name)).toEqual(['iologik-e1214-pump-house']);
    const set = kedge([
      'twin',
      'set',
      'default/iologik-e1214-pump-house',
      'relay-0=true',
      '--server',
      server,
      '-o',
      'json',
    ]);
    expect(set.status, set.stderr).toBe(0);
    const twin = (await (await fetch(`${server}/api/v1/twins/default/iologik-e1214-pump-house`)).json()) as {
      properties: Record<string, { desired?: { value: string }; pending?: boolean }>;
    };
    expect(twin.properties['relay-0']).toMatchObject({ desired: { value: 'true' }, pending: true });
    const readOnly = kedge(['twin', 'set', 'default/iologik-e1214-pump-house', 'di-0=true', '--server', server]);
    expect(readOnly.status).toBe(1);
    expect(readOnly.stderr).toContain('ReadOnly');
    expect(await edge.stop('SIGTERM')).toBe(0);
  });
});
