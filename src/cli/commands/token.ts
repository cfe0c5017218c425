import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import { duration, integer } from '../option-parsers.js';
import { ApiClient, DEFAULT_SERVER, resolveTarget, type TargetOptions } from '../../client/index.js';

const HELP = `
A join token lets a node join the cloud once (or --uses times) before it expires: the node pins the
cloud's CA by the hash in the token, sends a certificate request with it, and gets its own
certificate for the link (docs/link.md, "Joining").

Examples:
  kedge token create                         # one join, valid 24 hours
  kedge token create --ttl 2h --uses 10      # ten gateways this afternoon
  kedge edge join --cloud wss://cloud.example:10000 --token <token> --node line-3 --data-dir /var/lib/kedge/edge
`;

interface TokenOptions extends TargetOptions {
  ttl: number;
  uses: number;
  description?: string;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('Join tokens for edge nodes (kedge edge join)');
  token
    .command('create')
    .description('Create a join token: the CA hash, an id and a secret; prints it on one line')
    .option('--ttl <duration>', 'how long it is valid: 90s, 30m, 24h, 7d (default 24h)', duration, 86_400_000)
    .option('--uses <n>', 'how many nodes may join with it (default 1)', integer(1, 1_000_000), 1)
    .option('--description <text>', 'a note kept with the token (who it is for)')
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(
      runAction('token create', async (opts: TokenOptions) => {
        const created = await new ApiClient(resolveTarget(opts)).createToken({
          ttlMs: opts.ttl,
          uses: opts.uses,
          ...(opts.description === undefined ? {} : { description: opts.description }),
        });
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`token ${created.id}: ${created.uses} join(s), valid until ${created.expiresAt}\n`);
        return 0;
      }),
    );
}
