import type { Command } from 'commander';
import { runAction } from '../run-action.js';

const HELP = `
Shows the children of a node of an OPC UA server (default: the Objects folder): for variables
their data type, the DeviceModel property type it maps to, whether it is writable and its value.
The dashboard's tag browser runs the same code on the edge node (it reaches the plant network).

Examples:
  kedge opcua-browse opc.tcp://127.0.0.1:48010
  kedge opcua-browse opc.tcp://127.0.0.1:48010 'ns=2;s=Demo.Static.Scalar' -o json
`;

interface Options {
  output: 'table' | 'json';
  user?: string;
  password?: string;
  securityPolicy?: string;
  securityMode?: string;
  dataDir: string;
  serve?: boolean;
}

export function registerOpcuaBrowse(program: Command): void {
  program
    .command('opcua-browse')
    .description('Browse an OPC UA server: the variables under a node, with their types')
    .argument('[url]', 'the server, opc.tcp://host:port')
    .argument('[nodeId]', 'the node whose children to show (default i=85, the Objects folder)')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--user <name>', 'user name for the session')
    .option('--password <password>', 'password for the session')
    .option('--security-policy <policy>', 'None, Basic256Sha256, ...', 'None')
    .option('--security-mode <mode>', 'None, Sign or SignAndEncrypt', 'None')
    .option('--data-dir <dir>', 'folder for the client certificates (opcua-pki/)', '.kedge/opcua-browse')
    .option('--serve', 'answer browse requests as JSON lines on stdin/stdout (how the edge node runs it)')
    .addHelpText('after', HELP)
    .action(
      runAction('opcua-browse', (url: string | undefined, nodeId: string | undefined, opts: Options) =>
        browse(url, nodeId, opts),
      ),
    );
}

async function browse(url: string | undefined, nodeId: string | undefined, opts: Options): Promise<number> {
  // node-opcua prints its warnings with console.log: stdout is this command's answer (JSON, or
  // the --serve protocol), so they go to stderr.
  const { format } = await import('node:util');
  for (const level of ['log', 'info', 'warn', 'debug'] as const)
    console[level] = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  const [{ createLogger }, { systemClock }] = await Promise.all([
    import('../../core/log/index.js'),
    import('../../core/clock/index.js'),
  ]);
  const logger = createLogger({ level: 'warn', name: 'kedge-opcua-browse' });
  if (opts.serve) {
    const { serveBrowseRequests } = await import('../../../mappers/opcua/index.js');
    await serveBrowseRequests({ dataDir: opts.dataDir, logger, clock: systemClock });
    return 0;
  }
  if (!url) throw new Error('give the server URL, e.g. kedge opcua-browse opc.tcp://127.0.0.1:48010');
  const { OpcuaBrowser } = await import('../../../mappers/opcua/index.js');
  const browser = new OpcuaBrowser({ dataDir: opts.dataDir, logger, clock: systemClock });
  try {
    const answer = await browser.browse({
      url,
      ...(nodeId ? { nodeId } : {}),
      ...(opts.user ? { userName: opts.user, password: opts.password ?? '' } : {}),
      securityPolicy: opts.securityPolicy as 'None',
      securityMode: opts.securityMode as 'None',
    });
    if (opts.output === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else {
      const rows = answer.nodes.map((n) => [
        n.nodeClass,
        n.nodeId,
        n.displayName,
        n.dataType ?? '',
        n.propertyType ?? '',
        n.writable ? 'rw' : n.nodeClass === 'Variable' ? 'r' : '',
        n.value === undefined ? '' : String(n.value),
      ]);
      const head = ['CLASS', 'NODE ID', 'NAME', 'TYPE', 'PROPERTY', 'ACCESS', 'VALUE'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [head, ...rows])
        process.stdout.write(
          `${r
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    }
    return 0;
  } finally {
    await browser.close();
  }
}
