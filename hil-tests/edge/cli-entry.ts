import { Command } from 'commander';
import { registerEdge } from '../../src/cli/commands/edge.js';
import { registerMapper } from '../../src/cli/commands/mapper.js';

/** `kedge edge` (and `kedge mapper`, which Edged spawns) as the tests run them, independent of program.ts. */
const program = new Command('kedge');
registerEdge(program);
registerMapper(program);
await program.parseAsync(process.argv);
