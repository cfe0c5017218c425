/**
 * `kedge` for the serial/GPIO hil-tests: the real command tree plus `sim serial` and `sim gpio`
 * when src/cli/program.ts does not register them yet (same code before and after the wiring).
 */
import { registerSimGpio } from '../../src/cli/commands/sim-gpio.js';
import { registerSimSerial } from '../../src/cli/commands/sim-serial.js';
import { registerSim } from '../../src/cli/commands/sim.js';
import { buildProgram } from '../../src/cli/program.js';

const program = buildProgram('0.0.0-test');
const sim = program.commands.find((c) => c.name() === 'sim') ?? registerSim(program, []);
if (!sim.commands.some((c) => c.name() === 'serial')) registerSimSerial(sim);
if (!sim.commands.some((c) => c.name() === 'gpio')) registerSimGpio(sim);
await program.parseAsync(process.argv);
