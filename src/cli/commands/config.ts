import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../../core/config/index.js';
import { runAction } from '../run-action.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Show and check kedge configuration');
  config
    .command('print')
    .description(
      'Print the effective configuration (defaults < --config file < KEDGE_* environment) as YAML, after checking it',
    )
    .option('-c, --config <file>', 'YAML config file')
    .addHelpText(
      'after',
      '\nExamples:\n  kedge config print\n  KEDGE_EDGE__MQTT__PORT=1885 kedge config print -c deploy/kedge.yaml\n',
    )
    .action(
      runAction('config print', async (opts: { config?: string }) => {
        const effective = loadConfig({ file: opts.config, env: process.env });
        process.stdout.write(stringify(effective));
      }),
    );
}
