import type { Command } from 'commander';
import { errorText, isKedgeError } from '../../core/errors/index.js';
import { formatDiagnostic } from '../../core/yaml/index.js';

const HELP = `
Checks Device and DeviceModel YAML (devices.kubeedge.io/v1beta1, as used by KubeEdge) before you
deploy it: each Device's deviceModelRef must be among the given files, its properties must exist in
the model, desired values must fit the property type, and protocol settings (modbus, opcua, serial,
gpio) and cleansing rules must be complete. Each problem is printed as file:line:col: error|warning:
message. Exit code 1 when there is any error, 0 otherwise (warnings alone pass).

Examples:
  kedge validate device-models/                       # every .yaml/.yml below the folder
  kedge validate device-models/eastron-sdm120.yaml device-models/moxa-iologik-e1214.yaml
  kedge validate device-models/ && kubectl apply -f deploy/crds/ -f device-models/
`;

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check Device/DeviceModel YAML files or folders and report every problem with its line')
    .argument('<paths...>', 'YAML files or folders (folders are searched for .yaml/.yml files)')
    .addHelpText('after', HELP)
    .action(async (paths: string[]) => {
      process.exitCode = await runValidate(paths, (line) => process.stdout.write(`${line}\n`));
    });
}

/** Validates, prints each diagnostic and a summary line through `write`; returns the exit code. Never throws. */
export async function runValidate(paths: string[], write: (line: string) => void): Promise<number> {
  try {
    const { validateFiles } = await import('../../model/index.js');
    const result = await validateFiles(paths);
    for (const d of result.diagnostics) write(formatDiagnostic(d));
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = result.diagnostics.length - errors;
    write(
      `${count(result.files.length, 'file')}, ${count(result.devices.length, 'device')}, ${count(result.models.length, 'model')}${result.pods.length > 0 ? `, ${count(result.pods.length, 'pod')}` : ''}: ` +
        `${count(errors, 'error')}, ${count(warnings, 'warning')}`,
    );
    return errors > 0 ? 1 : 0;
  } catch (err) {
    write(`kedge validate: ${isKedgeError(err) ? err.toLine() : errorText(err)}`);
    return 1;
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
