/**
 * `kedge` for tests: the real command tree (src/cli/program.ts) plus `mapper` and `sim modbus`
 * if the tree does not register them yet, so the hil-tests run the same code before and after
 * the lead wires them into program.ts.
 */
import { registerMapper } from '../../src/cli/commands/mapper.js';
import { registerSim } from '../../src/cli/commands/sim.js';
import { registerSimModbus } from '../../src/cli/commands/sim-modbus.js';
import { buildProgram } from '../../src/cli/program.js';

const program = buildProgram('0.0.0-test');
if (!program.commands.some((c) => c.name() === 'mapper')) registerMapper(program);
const sim = program.commands.find((c) => c.name() === 'sim');
if (!sim) registerSim(program, [registerSimModbus]);
else if (!sim.commands.some((c) => c.name() === 'modbus')) registerSimModbus(sim);
await program.parseAsync(process.argv);
