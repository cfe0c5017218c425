import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildMapperProgram } from './mapper-main.js';
import { buildProgram } from './program.js';

/** What `kedge <argv>` prints and how it ends, without exiting the test process. */
async function run(program: Command, argv: string[]): Promise<{ out: string; err: string; code: string | undefined }> {
  let out = '';
  let err = '';
  const capture = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    c.commands.forEach(capture);
  };
  capture(program);
  let code: string | undefined;
  try {
    await program.parseAsync(['node', 'kedge', ...argv]);
  } catch (e) {
    code = (e as { code?: string }).code;
  }
  return { out, err, code };
}

describe('kedge mapper without the full command tree', () => {
  it.each([
    [['mapper', '--help']],
    [['mapper', '--protocol', 'modbus', '--node', 'n']],
    [['mapper', '--protocol', 'modbus', '--mqtt-url', 'mqtt://127.0.0.1:1', '--node', 'n', '--bogus']],
    [['mapper', '--protocol', ',', '--mqtt-url', 'mqtt://127.0.0.1:1', '--node', 'n']],
    [['mapper', '--protocol', 'modbus', '--mqtt-url', 'mqtt://127.0.0.1:1', '--node', 'n', '--metrics-port', '70000']],
  ])('prints and fails exactly as the full tree for %j', async (argv) => {
    const full = await run(buildProgram('1.2.3'), argv);
    const light = await run(buildMapperProgram('1.2.3'), argv);
    expect(full.out + full.err).not.toBe('');
    expect(light).toEqual(full);
  });
});
