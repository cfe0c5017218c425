import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RawEdge, waitUntil } from '../../src/cloud/testing/raw-edge.js';
import { freePort } from '../support/brokers.js';

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

describe('kedge cloud (process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-cloud-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves hub, API and embedded MQTT on the given ports and exits 0 on SIGTERM', async () => {
    const [hub, api, mqttPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        entry,
        'cloud',
        '--data-dir',
        join(dir, 'data'),
        '--hub-host',
        '127.0.0.1',
        '--hub-port',
        String(hub),
        '--api-port',
        String(api),
        '--mqtt-port',
        String(mqttPort),
        '--insecure-link',
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEDGE_LOG__PRETTY: 'false' } },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => stderr.includes('kedge cloud ready') || child.exitCode !== null, 'cloud ready', 20_000);
      expect(stderr).toContain('kedge cloud ready');
      expect(await (await fetch(`http://127.0.0.1:${api}/healthz`)).text()).toBe('ok');
      const edge = await RawEdge.connect(hub, 'edge-7');
      const nodes = async () =>
        (
          (await (await fetch(`http://127.0.0.1:${api}/api/v1/nodes`)).json()) as {
            items: Array<{ name: string; ready: boolean }>;
          }
        ).items;
      // Until the node is ready (20 s at most): polled, the API has no change stream to wait on.
      for (const end = Date.now() + 20_000; Date.now() < end && !(await nodes()).some((n) => n.ready); )
        await new Promise((r) => setTimeout(r, 20));
      expect(await nodes()).toEqual([expect.objectContaining({ name: 'edge-7', ready: true })]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await edge.waitClosed()).toBeGreaterThan(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
