import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import {
  ApiClient,
  clientErrors,
  DEFAULT_SERVER,
  EDGE_SERVER,
  parseObjectName,
  resolveTarget,
  type TargetOptions,
} from '../../client/index.js';

const HELP = `
Examples:
  kedge delete device default/em24-1
  kedge delete devicemodel default/em24-din      # refused while a Device uses it
`;

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('Delete a Device or a DeviceModel')
    .argument('<kind>', 'device | devicemodel')
    .argument('<name>', '<namespace>/<name>')
    .option('--edge', `delete on the local edge node (${EDGE_SERVER}) instead of the cloud`)
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(
      runAction('delete', (kind: string, name: string, opts: TargetOptions) =>
        runDelete(kind, name, opts, (s) => process.stdout.write(s)),
      ),
    );
}

export async function runDelete(
  kindArg: string,
  nameArg: string,
  opts: TargetOptions,
  write: (text: string) => void,
): Promise<number> {
  const kind = kindArg.toLowerCase().replace(/s$/, '');
  if (kind !== 'device' && kind !== 'devicemodel') {
    throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `unknown kind "${kindArg}": use device or devicemodel`);
  }
  const { namespace, name } = parseObjectName(nameArg);
  const res = await new ApiClient(resolveTarget(opts)).delete(kind, namespace, name);
  write(res.deleted ? `${kind}/${namespace}/${name} deleted\n` : `${kind}/${namespace}/${name} was not there\n`);
  return 0;
}
