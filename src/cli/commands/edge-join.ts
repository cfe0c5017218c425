import type { Command } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import { port } from '../option-parsers.js';
import { runAction } from '../run-action.js';

const HELP = `
Joins this gateway to a kedge cloud (docs/link.md, "Joining"): fetches the cloud's CA from its join
port (${DEFAULT_PORTS.cloudJoin}), checks it against the hash in the token, sends a certificate request
for CN=<node>, and stores the node's certificate and key in <data-dir>/pki (mode 0600). Then start
the edge with the same --node and --data-dir: the link is wss:// with that certificate.

Examples:
  kedge token create                                            # on the cloud side
  kedge edge join --cloud wss://cloud.example:10000 --token <token> --node line-3 --data-dir /var/lib/kedge/edge
  kedge edge --node line-3 --data-dir /var/lib/kedge/edge       # --cloud defaults to the one joined
`;

interface JoinFlags {
  cloud: string;
  token: string;
  node: string;
  dataDir: string;
  joinPort?: number;
}

export function registerEdgeJoin(edge: Command): void {
  edge
    .command('join')
    .description('Join a kedge cloud with a join token: get this node its own certificate')
    .requiredOption('--cloud <url>', `the cloud's link URL, wss://host:${DEFAULT_PORTS.cloudHub}`)
    .requiredOption('--token <token>', 'the join token (kedge token create)')
    .requiredOption('--node <name>', 'node name (DNS-1123): the certificate is issued for it')
    .option('--data-dir <dir>', 'the edge data dir the certificate is stored in (default .kedge/edge)', '.kedge/edge')
    .option('--join-port <port>', `the cloud's join port (default ${DEFAULT_PORTS.cloudJoin})`, port(1))
    .addHelpText('after', HELP)
    .action(
      runAction('edge join', async (flags: JoinFlags) => {
        const { joinCloud } = await import('../../edge/join/index.js');
        const r = await joinCloud({
          cloud: flags.cloud,
          token: flags.token,
          node: flags.node,
          dataDir: flags.dataDir,
          ...(flags.joinPort === undefined ? {} : { joinPort: flags.joinPort }),
        });
        process.stdout.write(
          `node ${flags.node} joined ${r.joined.cloud}: certificate valid until ${r.notAfter}, stored in ${flags.dataDir}/pki\n` +
            `start it: kedge edge --node ${flags.node} --data-dir ${flags.dataDir} --cloud ${r.joined.cloud}\n`,
        );
        return 0;
      }),
    );
}
