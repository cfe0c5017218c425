import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import type { DemoOptions } from '../../demo/index.js';
import { runAction } from '../run-action.js';
import { port as portOption } from '../option-parsers.js';

const port = portOption(1);

const P = DEFAULT_PORTS;
const HELP = `
Starts everything on this machine, nothing else to install: a kedge cloud (embedded store and MQTT
broker), one edge node whose Edged runs the mappers, simulators for library devices (a Moxa
ioLogik E1214 and an Eastron SDM120 meter over Modbus TCP, the Unified Automation demo server over
OPC UA, and a Vaisala HMP240 over a serial line when socat and \`kedge sim serial\` are available),
applies the devices through the API and shows what a consumer of the cloud topics sees: on a
terminal, each device's state and values redrawn in place, a desired value's round trip (try the
\`kedge twin set\` it prints) and cleansing rejecting the meter's voltage surges.
Ctrl-C stops every process and removes the temporary folder (kept when the demo fails: its
logs say why). The simulators take free ports of their own.

Examples:
  kedge demo
  kedge demo --duration 20                     # stop by itself (CI)
  kedge demo --mqtt-port 1885 --api-port ${P.cloudApi + 1} # when the default ports are taken
  mosquitto_sub -h 127.0.0.1 -p ${P.cloudMqtt} -t 'kedge/#' -v
`;

/** The demo's options as flags: `--duration` in seconds; the node's name is the demo's own. */
type DemoFlags = Omit<DemoOptions, 'durationS' | 'node'> & { duration?: number };

function seconds(text: string): number {
  const n = Number(text);
  if (!(n > 0)) throw new InvalidArgumentError(`expected seconds > 0, got ${text}`);
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run a cloud, an edge node, simulated devices and their mappers, and show live telemetry')
    .option('--duration <s>', 'stop by itself after this many seconds', seconds)
    .option('--data-dir <dir>', 'keep data and logs here (default: a temporary folder, removed at the end)')
    .option('--hub-port <port>', 'CloudHub port', port, P.cloudHub)
    .option('--api-port <port>', 'cloud HTTP API port', port, P.cloudApi)
    .option('--mqtt-port <port>', 'cloud MQTT broker port', port, P.cloudMqtt)
    .option('--edge-mqtt-port <port>', 'edge MQTT broker port', port, P.edgeMqtt)
    .option('--edge-api-port <port>', 'edge local API port', port, P.edgeApi)
    .option('--edge-servicebus-port <port>', 'edge ServiceBus port (0 = any free port)', portOption(0), 0)
    .addHelpText('after', HELP)
    .action(
      runAction('demo', async (flags: DemoFlags) => {
        const { runDemo, selfInvocation, DEMO_DEFAULTS } = await import('../../demo/index.js');
        const interrupted = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        const hasSimSerial =
          program.commands.find((c) => c.name() === 'sim')?.commands.some((c) => c.name() === 'serial') ?? false;
        return runDemo(
          { ...DEMO_DEFAULTS, ...flags, ...(flags.duration !== undefined ? { durationS: flags.duration } : {}) },
          { out: process.stdout, invocation: selfInvocation(), serial: hasSimSerial && hasSocat(), interrupted },
        );
      }),
    );
}

function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}
