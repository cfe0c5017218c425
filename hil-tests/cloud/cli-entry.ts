import { Command } from 'commander';
import { registerCloud } from '../../src/cli/commands/cloud.js';

/** `kedge cloud` as the test runs it, independent of how program.ts wires the commands. */
const program = new Command('kedge');
registerCloud(program);
await program.parseAsync(process.argv);
