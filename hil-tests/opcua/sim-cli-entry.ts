// Runs `kedge sim <args>` with only the OPC UA simulator registered (the lead wires the real tree).
import { Command } from 'commander';
import { registerSimOpcua } from '../../src/cli/commands/sim-opcua.js';

const sim = new Command('sim');
registerSimOpcua(sim);
await sim.parseAsync(process.argv.slice(2), { from: 'user' });
