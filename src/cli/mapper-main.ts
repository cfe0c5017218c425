import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { rootCommand } from './root.js';
import { packageVersion } from '../core/paths/index.js';
import { registerMapper } from './commands/mapper.js';

/**
 * `kedge mapper` without the rest of the command tree. Edged starts one mapper process per
 * workload, and building the whole program (program.ts) makes a mapper load every command's
 * module graph for nothing (about 15 MB of RSS measured, bench/RESULTS.md "Modbus"). The root
 * command is program.ts's own (root.ts), so `kedge mapper` parses, helps and fails exactly as
 * through the full tree (mapper-main.test.ts compares them).
 */
export function buildMapperProgram(version: string): Command {
  const program = rootCommand(version);
  registerMapper(program);
  return program;
}

/**
 * V8 flags a mapper sets on itself, so they hold however it was started (by Edged, by hand, under
 * systemd or not). `--optimize-for-size` lowers V8's old-generation growth: at 10,000 readings/s
 * V8 otherwise lets old space fill with promoted garbage to about twice the live heap before its
 * first full collection (old space 34 MB for 16 MB live; with the flag 22 MB). It is read at
 * every collection, so setting it at start-up takes effect.
 */
export const MAPPER_V8_FLAGS = ['--optimize-for-size'];

/** Runs `kedge mapper ...` from `argv` (argv[2] is `mapper`). */
export async function runMapperCommand(argv: string[]): Promise<void> {
  for (const flag of MAPPER_V8_FLAGS) setFlagsFromString(flag);
  await buildMapperProgram(packageVersion()).parseAsync(argv);
}
