import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';
import { portInUse } from '../port-in-use.js';

const HELP = `
Serves the modeled OPC UA variables of the given DeviceModel + Device YAML on a local OPC UA server
(node-opcua), so that a mapper can be tried without the real server: every property becomes a
variable with exactly its visitor nodeID (namespaces are registered until the nodeID's ns index
exists), ReadOnly values change plausibly within minimum/maximum, ReadWrite ones hold what is
written. Security None, Sign and SignAndEncrypt with the common policies; anonymous access, plus
--user name:password logins. Certificates live in a temporary folder unless --pki is given.
Point the Device's configData.url at the printed endpoint. Stop with Ctrl-C.

Examples:
  kedge sim opcua --model device-models/unified-automation-uacppserver.yaml --port 48010
  kedge sim opcua --model device-models/unified-automation-uacppserver.yaml --user operator:secret
  kedge sim opcua --generate 1000 --generate-interval 100      # load test: 1,000 changing doubles
`;

interface SimOpcuaOptions {
  model?: string[];
  port: number;
  host: string;
  interval: number;
  user: string[];
  pki?: string;
  generate?: number;
  generateInterval: number;
  noSubscriptions?: boolean;
}

export function registerSimOpcua(sim: Command): void {
  sim
    .command('opcua')
    .description('Run an OPC UA server simulating the modeled devices (values change, ReadWrite variables writable)')
    .option(
      '-m, --model <files...>',
      'DeviceModel + Device YAML files or folders (devices with protocolName opcua are served)',
    )
    .option('-p, --port <n>', 'TCP port (0 picks a free one)', intArg, 4840)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--interval <ms>', 'how often ReadOnly values change', intArg, 1000)
    .option('--user <name:password>', 'accept this user (repeatable)', collect, [])
    .option('--pki <dir>', 'certificate folder (default: a temporary one)')
    .option('--generate <n>', 'also serve n Double variables ns=1;s=gen.<i> (load testing)', intArg)
    .option('--generate-interval <ms>', 'change interval of the generated variables', intArg, 100)
    .option('--no-subscriptions', "refuse CreateSubscription (to try a client's polling fallback)")
    .addHelpText('after', HELP)
    .action(
      runAction('sim opcua', async (opts: SimOpcuaOptions & { subscriptions: boolean }) => {
        if (!opts.model?.length && opts.generate === undefined)
          throw new InvalidArgumentError('give --model <files...> and/or --generate <n>');
        // Model errors first: load-model.js is light, node-opcua (seconds to load) only after.
        const { loadOpcuaInstances } = await import('../../../mappers/opcua/sim/load-model.js');
        const instances = opts.model?.length ? await loadOpcuaInstances(opts.model) : [];
        const [{ startOpcuaSim }, { createLogger }, { stopOnSignal }] = await Promise.all([
          import('../../../mappers/opcua/sim/index.js'),
          import('../../core/log/index.js'),
          import('../../core/module/index.js'),
        ]);
        const logger = createLogger({ name: 'sim-opcua' });
        const sim = await startOpcuaSim({
          instances,
          port: opts.port,
          host: opts.host,
          updateIntervalMs: opts.interval,
          users: opts.user.map(parseUser),
          refuseSubscriptions: !opts.subscriptions,
          ...(opts.pki !== undefined ? { pkiDir: opts.pki } : {}),
          ...(opts.generate !== undefined
            ? { generated: { count: opts.generate, intervalMs: opts.generateInterval } }
            : {}),
        }).catch((err: unknown) => {
          throw (
            portInUse(err, [{ path: ['port'], flag: '--port', what: 'the OPC UA server' }], opts, 'sim opcua') ?? err
          );
        });
        process.stdout.write(
          `OPC UA simulator at ${sim.endpointUrl}\n${sim
            .nodeIds()
            .map((n) => `  ${n}`)
            .join('\n')}\n`,
        );
        await stopOnSignal(sim, logger);
      }),
    );
}

function intArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${text} is not a whole number >= 0`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseUser(text: string): { userName: string; password: string } {
  const at = text.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError(`--user ${text}: expected name:password`);
  return { userName: text.slice(0, at), password: text.slice(at + 1) };
}
