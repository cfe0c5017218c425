import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { runAction } from '../run-action.js';

const HELP = `
Converts KubeEdge's older devices.kubeedge.io/v1alpha2 Device and DeviceModel YAML (before
KubeEdge v1.15) to v1beta1, the format kedge and current KubeEdge read. Other documents are copied
unchanged. The result goes to stdout (or --output); what could not be carried over (a model's
defaultValue, a device's data section) is listed on stderr. Comments are not kept.

Examples (KubeEdge's v1alpha2 LED example ships with kedge's test fixtures):
  kedge convert src/model/fixtures/kubeedge/led-raspberrypi_crds_led-light-device-model.yaml src/model/fixtures/kubeedge/led-raspberrypi_crds_led-light-device-instance.yaml > /tmp/led-light-v1beta1.yaml
  kedge convert old/*.yaml -o /tmp/devices.yaml && kedge validate /tmp/devices.yaml
`;

interface ConvertOptions {
  output?: string;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('Convert KubeEdge v1alpha2 Device/DeviceModel YAML to v1beta1')
    .argument('<files...>', 'YAML files')
    .option('-o, --output <file>', 'write the converted YAML to this file instead of stdout')
    .addHelpText('after', HELP)
    .action(
      runAction('convert', (files: string[], opts: ConvertOptions) =>
        runConvert(
          files,
          opts,
          (s) => process.stdout.write(s),
          (s) => process.stderr.write(s),
        ),
      ),
    );
}

/** Converts every file; returns the exit code (1 when nothing was v1alpha2). */
export async function runConvert(
  files: string[],
  opts: ConvertOptions,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const { convertYaml } = await import('../../model/index.js');
  const parts: string[] = [];
  let converted = 0;
  for (const file of files) {
    const result = await convertYaml(file, await readFile(file, 'utf8'));
    if (result.yaml !== '') parts.push(result.yaml);
    for (const note of result.notes) err(`note: ${note}\n`);
    converted += result.converted;
  }
  const yaml = parts.join('---\n');
  if (opts.output) await writeFile(opts.output, yaml);
  else out(yaml);
  err(`${converted} document${converted === 1 ? '' : 's'} converted to devices.kubeedge.io/v1beta1\n`);
  return converted > 0 ? 0 : 1;
}
