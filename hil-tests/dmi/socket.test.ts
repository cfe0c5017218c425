/** Where the edge's DMI socket goes, and what happens when it cannot be served. */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../edge/fixtures.js';

describe('the edge DMI socket', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('defaults to <data-dir>/dmi.sock; off serves none', async () => {
    const edge = await startEdge();
    expect((await stat(join(edge.dataDir, 'dmi.sock'))).isSocket()).toBe(true);
    await edge.close();
    const off = await startEdge({ dmiSocket: 'off' });
    await expect(stat(join(off.dataDir, 'dmi.sock'))).rejects.toThrow(/ENOENT/);
    expect(await off.node.bus.request('dmi.served', {}).catch(() => 'no server')).toBe('no server');
    await off.close();
  });

  it('a default socket path too long for a unix socket leaves DMI off; the same path asked for stops the start naming it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-dmi-long-'));
    const deep = join(dir, 'd'.repeat(100));
    await mkdir(deep, { recursive: true });
    const edge = await startEdge({}, {}, deep);
    expect(await edge.node.bus.request('dmi.served', {})).toEqual({ protocols: [] });
    await edge.close();
    await expect(startEdge({ dmiSocket: join(deep, 'dmi.sock') }, {}, deep)).rejects.toThrow(
      /KEDGE_DMI_LISTEN|longer than the 107 bytes/,
    );
  });
});
