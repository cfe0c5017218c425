import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerValidate, runValidate } from './validate.js';

const fixtures = new URL('../../model/fixtures/kubeedge/', import.meta.url).pathname;

async function run(paths: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runValidate(paths, (line) => lines.push(line));
  return { code, lines };
}

describe('kedge validate', () => {
  it('passes KubeEdge v1beta1 examples with warnings only for legacy cycles; refuses v1alpha2 naming kedge convert', async () => {
    const { code, lines } = await run([fixtures]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe('8 files, 3 devices, 3 models: 2 errors, 2 warnings');
    expect(lines.filter((l) => l.includes('legacy nanoseconds'))).toHaveLength(2);
    expect(
      lines.filter((l) => l.includes('v1alpha2') && l.includes('error') && l.includes('kedge convert')),
    ).toHaveLength(2);
  });

  it('prints file:line:col diagnostics and exits 1 on an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-validate-'));
    mkdirSync(join(dir, 'nested'));
    writeFileSync(
      join(dir, 'nested', 'device.yaml'),
      'apiVersion: devices.kubeedge.io/v1beta1\nkind: Device\nmetadata:\n  name: d1\nspec:\n  deviceModelRef:\n    name: nowhere\n  protocol:\n    protocolName: custom\n',
    );
    writeFileSync(join(dir, 'notes.txt'), 'not yaml, not read');
    const { code, lines } = await run([dir]);
    expect(code).toBe(1);
    expect(lines[0]).toBe(
      `${join(dir, 'nested', 'device.yaml')}:7:11: error: spec.deviceModelRef.name: DeviceModel nowhere not found in namespace default among the given files; pass the file that defines it too (kedge validate device.yaml model.yaml)`,
    );
    expect(lines.at(-1)).toBe('1 file, 1 device, 0 models: 1 error, 0 warnings');
  });

  it('reports a missing path as an error instead of throwing', async () => {
    const { code, lines } = await run(['/nonexistent/kedge/devices.yaml']);
    expect(code).toBe(1);
    expect(lines[0]).toBe('/nonexistent/kedge/devices.yaml:1:1: error: no such file or directory');
  });

  it('registers `validate <paths...>` with an example in its help', () => {
    const program = new Command('kedge');
    registerValidate(program);
    const command = program.commands.find((c) => c.name() === 'validate');
    expect(command?.registeredArguments[0]?.variadic).toBe(true);
    let help = '';
    command?.configureOutput({ writeOut: (s) => (help += s) });
    command?.outputHelp();
    expect(help).toContain('kedge validate device-models/');
  });
});
