import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';
import { ApiClient, DEFAULT_SERVER, parseObjectName, resolveTarget, type TargetOptions } from '../../client/index.js';

const HELP = `
Reads a Pod's container log from the edge node that runs it, through the node's link to the
cloud (the node must be connected). With -f it keeps printing until Ctrl-C or the container's
log ends.

Examples:
  kedge logs default/counter
  kedge logs default/counter -f
  kedge logs default/grafana -c sidecar --tail 20
`;

interface LogsOptions extends TargetOptions {
  follow?: boolean;
  container?: string;
  tail?: number;
}

function lines(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number of lines');
  return Number(text);
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("Print a Pod container's log, through its edge node's link")
    .argument('<pod>', '<namespace>/<name> (namespace default if left out)')
    .option('-f, --follow', 'keep printing new lines')
    .option('-c, --container <name>', 'the container (default: the first)')
    .option('--tail <lines>', 'only the last lines', lines)
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(runAction('logs', (pod: string, opts: LogsOptions) => runLogs(pod, opts, (s) => process.stdout.write(s))));
}

export async function runLogs(podArg: string, opts: LogsOptions, write: (text: string) => void): Promise<number> {
  const { namespace, name } = parseObjectName(podArg);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    await new ApiClient(resolveTarget({ ...opts, edge: false })).podLogs(
      namespace,
      name,
      {
        follow: opts.follow === true,
        ...(opts.container ? { container: opts.container } : {}),
        ...(opts.tail === undefined ? {} : { tailLines: opts.tail }),
        ...(opts.follow ? { signal: abort.signal } : {}),
      },
      write,
    );
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}
