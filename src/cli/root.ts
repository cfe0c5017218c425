import { Command } from 'commander';

/** The `kedge` root command: the full tree (program.ts) and the mapper's own entry share it. */
export function rootCommand(version: string): Command {
  return (
    new Command('kedge')
      .version(version)
      .description('kedge: device protocol gateway and digital twin for edge hardware (KubeEdge-compatible).')
      .showHelpAfterError('(run with --help for usage)')
      // A subcommand's options are its own (`kedge edge join --cloud` is the join's, not the edge's).
      .enablePositionalOptions()
      .configureHelp({ sortSubcommands: false })
  );
}
