/**
 * `kedge` for the end-to-end tests, run with `node --import tsx`: the real program, plus every
 * command the tests need that the program does not register yet (so the tests run the same code
 * as `bin/kedge.js`, before and after the commands are wired into src/cli/program.ts).
 */
import type { Command } from 'commander';
import { registerApply } from '../../../src/cli/commands/apply.js';
import { registerCloud } from '../../../src/cli/commands/cloud.js';
import { registerDelete } from '../../../src/cli/commands/delete.js';
import { registerDemo } from '../../../src/cli/commands/demo.js';
import { registerEdge } from '../../../src/cli/commands/edge.js';
import { registerGet } from '../../../src/cli/commands/get.js';
import { registerMapper } from '../../../src/cli/commands/mapper.js';
import { registerSimModbus } from '../../../src/cli/commands/sim-modbus.js';
import { registerSimOpcua } from '../../../src/cli/commands/sim-opcua.js';
import { registerSim } from '../../../src/cli/commands/sim.js';
import { registerTwin } from '../../../src/cli/commands/twin.js';
import { buildProgram } from '../../../src/cli/program.js';
import { packageVersion } from '../../../src/core/paths/index.js';

const program = buildProgram(packageVersion());
const has = (name: string) => program.commands.some((c) => c.name() === name);
const add: Array<[string, (p: Command) => unknown]> = [
  ['cloud', registerCloud],
  ['edge', registerEdge],
  ['mapper', registerMapper],
  ['apply', registerApply],
  ['get', registerGet],
  ['twin', registerTwin],
  ['delete', registerDelete],
  ['demo', registerDemo],
  ['sim', (p) => registerSim(p, [registerSimModbus, registerSimOpcua])],
];
for (const [name, register] of add) if (!has(name)) register(program);
await program.parseAsync(process.argv);
