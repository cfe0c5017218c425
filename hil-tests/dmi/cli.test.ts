/**
 * The DMI flags as a user runs them: `kedge edge --dmi-socket` and `kedge mapper --dmi`, as real
 * processes; a DMI mapper whose edge socket does not answer exits at start naming it, as a
 * mapper-framework mapper does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/brokers.js';
import { spawnKedge, type KedgeProcess } from '../support/kedge-process.js';

const entry = join(import.meta.dirname, '../support/cli-entry.ts');

describe('kedge edge --dmi-socket and kedge mapper --dmi', () => {
  const procs: KedgeProcess[] = [];
  let dir = '';
  afterEach(async () => {
    for (const p of procs.splice(0).reverse()) await p.stop('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a DMI mapper without an edge exits at start with KEDGE_MAPPER_DMI_REGISTER naming the socket', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-dmi-cli-'));
    const socket = join(dir, 'nobody.sock');
    const mapper = spawnKedge(
      ['mapper', '--protocol', 'modbus', '--node', 'edge-1', '--dmi', '--dmi-socket', socket, '--data-dir', dir],
      { entry },
    );
    procs.push(mapper);
    expect(await mapper.exited).not.toBe(0);
    expect(mapper.stderr()).toContain('KEDGE_MAPPER_DMI_REGISTER');
    expect(mapper.stderr()).toContain(socket);
  }, 30_000);

  it('registers with an edge started with --dmi-socket', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-dmi-cli-'));
    const socket = join(dir, 'edge', 'dmi.sock');
    const [mqtt, api, sb] = [await freePort(), await freePort(), await freePort()];
    const edge = spawnKedge(
      [
        'edge',
        '--node',
        'edge-1',
        '--data-dir',
        join(dir, 'edge'),
        '--mqtt-port',
        String(mqtt),
        '--api-port',
        String(api),
        '--mappers',
        'none',
        '--dmi-socket',
        socket,
        '--log-level',
        'info',
      ],
      { entry, env: { KEDGE_EDGE__SERVICEBUS_PORT: String(sb) } },
    );
    procs.push(edge);
    await edge.waitForOutput(/DMI socket ready/);
    await edge.waitForOutput(/edge node ready/);
    const mapper = spawnKedge(
      [
        'mapper',
        '--protocol',
        'modbus',
        '--node',
        'edge-1',
        '--dmi',
        '--dmi-socket',
        socket,
        '--data-dir',
        join(dir, 'mapper'),
        '--log-level',
        'info',
      ],
      { entry },
    );
    procs.push(mapper);
    await mapper.waitForOutput(/registered with the edge over DMI/);
    await edge.waitForOutput(/DMI mapper registered/);
    expect(edge.stderr() + edge.stdout()).toContain('"protocol":"modbus"');
  }, 60_000);
});
