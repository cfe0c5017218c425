import { Command } from 'commander';
import { registerApply } from '../../src/cli/commands/apply.js';
import { registerEdge } from '../../src/cli/commands/edge.js';
import { registerGet } from '../../src/cli/commands/get.js';
import { registerTwin } from '../../src/cli/commands/twin.js';
import { registerMapper } from '../../src/cli/commands/mapper.js';

/**
 * `kedge edge` (and `kedge mapper`, which Edged spawns, and `kedge apply|get|twin`, clients of the
 * edge's API) as the tests run them, independent of how program.ts wires the commands.
 */
const program = new Command('kedge');
registerEdge(program);
registerMapper(program);
registerApply(program);
registerGet(program);
registerTwin(program);
await program.parseAsync(process.argv);
