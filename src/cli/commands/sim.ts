import type { Command } from 'commander';

/**
 * `kedge sim`: simulated devices for testing, one subcommand per protocol (each registered by its
 * own file, e.g. `registerSimModbus`), so `kedge sim --help` lists what exists.
 */
export function registerSim(program: Command, subcommands: Array<(sim: Command) => void>): Command {
  const sim = program
    .command('sim')
    .description('Run simulated devices for testing')
    .addHelpText(
      'after',
      '\nEach simulator serves the devices of Device/DeviceModel YAML files, so a model can be tested before the hardware arrives.\n',
    );
  for (const register of subcommands) register(sim);
  return sim;
}
