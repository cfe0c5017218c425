/**
 * A cloud started with a token file: an edge node with the same token joins, one with another
 * token is refused (401) and says why, in both processes' logs. Real processes, real sockets.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';

const running: KedgeProcess[] = [];
const dirs: Array<{ remove: () => void }> = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop().catch(() => undefined);
  for (const d of dirs.splice(0)) d.remove();
});

async function nodes(api: string): Promise<Array<{ name: string; ready: boolean }>> {
  const res = await fetch(`${api}/api/v1/nodes`);
  return ((await res.json()) as { items?: Array<{ name: string; ready: boolean }> }).items ?? [];
}

describe('CloudHub with a token file', () => {
  it('lets in the node with the token and refuses the one without it, with the reason on both sides', async () => {
    const dir = tempDir('kedge-e2e-token-');
    dirs.push(dir);
    writeFileSync(join(dir.path, 'token'), 'c0ffeec0ffeec0ffeec0ffee\n');
    writeFileSync(join(dir.path, 'other'), 'deadbeefdeadbeefdeadbeef\n');
    const cloud = await startCloud(join(dir.path, 'cloud'), { KEDGE_CLOUD__TOKEN_FILE: join(dir.path, 'token') });
    running.push(cloud.proc);
    const url = `ws://127.0.0.1:${cloud.ports.hub}`;
    const good = await startEdge(await edgeSetup('edge-good', join(dir.path, 'good'), url, 'none'), {
      KEDGE_EDGE__CLOUD_TOKEN_FILE: join(dir.path, 'token'),
    });
    running.push(good);
    const bad = await startEdge(await edgeSetup('edge-bad', join(dir.path, 'bad'), url, 'none'), {
      KEDGE_EDGE__CLOUD_TOKEN_FILE: join(dir.path, 'other'),
    });
    running.push(bad);
    await waitFor(
      async () => (await nodes(cloud.api)).some((n) => n.name === 'edge-good' && n.ready),
      'edge-good ready',
      30_000,
      [cloud.proc, good],
    );
    await waitFor(
      () => /refused node edge-bad: wrong token/.test(cloud.proc.output),
      'the cloud refusing edge-bad',
      30_000,
      [cloud.proc],
    );
    await waitFor(() => /KEDGE_EDGEHUB_UNAUTHORIZED/.test(bad.output), 'edge-bad saying it was refused', 30_000, [bad]);
    expect((await nodes(cloud.api)).filter((n) => n.name === 'edge-bad' && n.ready)).toEqual([]);
    expect(bad.output).toMatch(/the cloud refused node edge-bad: its token is not the cloud's/);
  });
});
