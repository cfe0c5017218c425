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
  kedge delete pod default/grafana               # its node stops and removes the containers
`;

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('Delete a Device, a DeviceModel or a Pod')
    .argument('<kind>', 'device | devicemodel | pod')
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
  if (kind !== 'device' && kind !== 'devicemodel' && kind !== 'pod') {
    throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `unknown kind "${kindArg}": use device, devicemodel or pod`);
  }
  if (kind === 'pod' && opts.edge)
    throw clientErrors.create(
      'KEDGE_CLIENT_BAD_ARGUMENT',
      'Pods come from the cloud: delete them there (without --edge)',
    );
  const { namespace, name } = parseObjectName(nameArg);
  const res = await new ApiClient(resolveTarget(opts)).delete(kind, namespace, name);
  write(res.deleted ? `${kind}/${namespace}/${name} deleted\n` : `${kind}/${namespace}/${name} was not there\n`);
  return 0;
}
