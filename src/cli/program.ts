import { Command } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerValidate } from './commands/validate.js';

/**
 * The `kedge` command tree. Each subcommand lives in `commands/<name>.ts` and loads its heavy
 * modules with a dynamic import inside its action, so `kedge --help` stays fast and a mapper never
 * loads a driver it does not use.
 */
export function buildProgram(version: string): Command {
  const program = new Command('kedge')
    .version(version)
    .description('kedge: device protocol gateway and digital twin for edge hardware (KubeEdge-compatible).')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerValidate(program);
  registerConfig(program);
  return program;
}
