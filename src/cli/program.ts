import type { Command } from 'commander';
import { rootCommand } from './root.js';
import { registerApply } from './commands/apply.js';
import { registerCall } from './commands/call.js';
import { registerCloud } from './commands/cloud.js';
import { registerConfig } from './commands/config.js';
import { registerConvert } from './commands/convert.js';
import { registerDelete } from './commands/delete.js';
import { registerDemo } from './commands/demo.js';
import { registerEdge } from './commands/edge.js';
import { registerGet } from './commands/get.js';
import { registerLogs } from './commands/logs.js';
import { registerMapper } from './commands/mapper.js';
import { registerOpcuaBrowse } from './commands/opcua-browse.js';
import { registerSimModbus } from './commands/sim-modbus.js';
import { registerSimGpio } from './commands/sim-gpio.js';
import { registerSimOpcua } from './commands/sim-opcua.js';
import { registerSimSerial } from './commands/sim-serial.js';
import { registerSim } from './commands/sim.js';
import { registerToken } from './commands/token.js';
import { registerTwin } from './commands/twin.js';
import { registerValidate } from './commands/validate.js';

/**
 * The `kedge` command tree. Each subcommand lives in `commands/<name>.ts` and loads its heavy
 * modules with a dynamic import inside its action, so `kedge --help` stays fast and a mapper never
 * loads a driver it does not use.
 */
export function buildProgram(version: string): Command {
  const program = rootCommand(version);
  registerDemo(program);
  registerCloud(program);
  registerEdge(program);
  registerMapper(program);
  registerValidate(program);
  registerConvert(program);
  registerApply(program);
  registerGet(program);
  registerLogs(program);
  registerTwin(program);
  registerDelete(program);
  registerToken(program);
  registerCall(program);
  registerOpcuaBrowse(program);
  registerSim(program, [registerSimModbus, registerSimOpcua, registerSimSerial, registerSimGpio]);
  registerConfig(program);
  return program;
}
