/**
 * `kedge edge --api-host/--api-token-file` as a user runs them: the CLI's flags reach the edge API
 * (a standalone gateway's dashboard opened to the plant network only behind a token).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/demo/index.js';
import { runKedge, spawnKedge } from '../e2e/harness/kedge.js';
import { httpOk, KedgeProcess, waitFor } from '../e2e/harness/processes.js';

const TOKEN = 'gateway-dashboard-token-0123456789';

describe('kedge edge --api-host, --api-token-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-edge-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const common = async (data: string) => [
    'edge',
    '--node',
    'gw-1',
    '--data-dir',
    join(dir, data),
    '--mqtt-port',
    String(await freePort()),
    '--servicebus-port',
    String(await freePort()),
    '--mappers',
    'none',
  ];

  it('refuses an address other than loopback without a token, naming the flag', async () => {
    const run = await runKedge(
      [...(await common('a')), '--api-port', String(await freePort()), '--api-host', '0.0.0.0'],
      { timeoutMs: 90_000 },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/KEDGE_API_OPEN_WITHOUT_TOKEN/);
    expect(run.stderr).toMatch(/the edge API on 0\.0\.0\.0 needs --api-token-file/);
  });

  it('serves the dashboard on it with --api-token-file, and the API only with the token', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const port = await freePort();
    const edge = new KedgeProcess(
      'edge',
      spawnKedge([
        ...(await common('b')),
        '--api-port',
        String(port),
        '--api-host',
        '0.0.0.0',
        '--api-token-file',
        file,
      ]),
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(() => httpOk(`${base}/healthz`), 'the edge API', 90_000, [edge]);
      expect((await fetch(`${base}/`)).status).toBe(200);
      const refused = await fetch(`${base}/api/v1/devices`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('KEDGE_API_UNAUTHORIZED');
      const ok = await fetch(`${base}/api/v1/devices`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      // The CLI sends the token of --token-file to the edge as to the cloud.
      const got = await runKedge(['get', 'devices', '--server', base, '--edge', '--token-file', file, '-o', 'json']);
      expect(got.code).toBe(0);
      expect(JSON.parse(got.stdout)).toEqual({ items: [] });
    } finally {
      expect(await edge.stop()).toBe(0);
    }
  });
});
