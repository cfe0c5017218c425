import { createServer, type Server } from 'node:net';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudConfigSchema, EdgeConfigSchema, loadConfig } from '../core/config/index.js';
import { isKedgeError } from '../core/errors/index.js';
import { CLOUD_PORTS } from './commands/cloud.js';
import { EDGE_PORTS } from './commands/edge.js';
import { portInUse } from './port-in-use.js';
import { buildProgram } from './program.js';

/** The config fields of a schema that are ports (named *port, with a default). */
function portFields(schema: unknown, path: string[]): string[] {
  const s = schema as { properties?: Record<string, unknown>; default?: unknown };
  const here = /port$/i.test(path.at(-1) ?? '') && typeof s.default === 'number' ? [path.join('.')] : [];
  return [...here, ...Object.entries(s.properties ?? {}).flatMap(([k, sub]) => portFields(sub, [...path, k]))];
}

function helpOf(name: string): string {
  const cmd = buildProgram('0.0.0').commands.find((c: Command) => c.name() === name)!;
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

describe('ports and their flags', () => {
  it('every port the edge and the cloud open has a flag, listed in --help', () => {
    for (const [schema, section, ports, command] of [
      [EdgeConfigSchema, 'edge', EDGE_PORTS, 'edge'],
      [CloudConfigSchema, 'cloud', CLOUD_PORTS, 'cloud'],
    ] as const) {
      expect(ports.map((p) => p.path.join('.')).sort()).toEqual(portFields(schema, [section]).sort());
      const help = helpOf(command);
      for (const p of ports) expect(help).toContain(`${p.flag} <port>`);
    }
  });

  let held: Server | undefined;
  afterEach(() => held?.close());

  it('names the flag of the port a real listen found taken, and leaves other errors alone', async () => {
    held = createServer();
    await new Promise<void>((r) => held!.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    const taken = await new Promise<Error>((resolve) => {
      const s = createServer();
      s.once('error', resolve);
      s.listen(port, '127.0.0.1');
    });
    const wrapped = new Error('module api failed to start', { cause: new Error('cannot listen', { cause: taken }) });
    const config = loadConfig({ flags: [{ path: ['cloud', 'apiPort'], value: port, flag: '--api-port' }] });
    const err = portInUse(wrapped, CLOUD_PORTS, config, 'cloud');
    expect(isKedgeError(err) && err.code).toBe('KEDGE_PORT_IN_USE');
    expect(err!.message).toContain(
      `port ${port} is already in use on 127.0.0.1: it is the port of the HTTP API (--api-port, KEDGE_CLOUD__API_PORT)`,
    );
    expect(err!.message).toContain('Choose another with --api-port');
    expect(portInUse(new Error('other'), CLOUD_PORTS, config, 'cloud')).toBeUndefined();
    expect(portInUse(taken, CLOUD_PORTS, loadConfig(), 'cloud')).toBeUndefined();
  });
});
