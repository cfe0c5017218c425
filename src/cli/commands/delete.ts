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
A node is removed from the cloud's list (kedge get nodes); refused while a Device names it
(delete or move those first) and while it is connected (stop its edge first: it would register
again). Nodes live in the cloud only: no --edge.

Examples:
  kedge delete device default/em24-compressor-feeder
  kedge delete devicemodel default/carlo-gavazzi-em24-din   # refused while a Device uses it
  kedge delete pod default/grafana                          # its node stops and removes the containers
  kedge delete node line-3                                  # revokes its certificates: its link closes, it cannot reconnect
`;

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('Delete a Device, a DeviceModel, a Pod or a node (its certificates are revoked)')
    .argument('<kind>', 'device | devicemodel | pod | node')
    .argument('<name>', '<namespace>/<name> (a node: its name)')
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
  if (kind === 'node') return deleteNode(nameArg, opts, write);
  if (kind !== 'device' && kind !== 'devicemodel' && kind !== 'pod') {
    throw clientErrors.create(
      'KEDGE_CLIENT_BAD_ARGUMENT',
      `unknown kind "${kindArg}": use device, devicemodel, pod or node`,
    );
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

async function deleteNode(name: string, opts: TargetOptions, write: (text: string) => void): Promise<number> {
  if (opts.edge)
    throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', 'nodes live in the cloud: kedge delete node has no --edge');
  if (name.includes('/'))
    throw clientErrors.create('KEDGE_CLIENT_BAD_NAME', `"${name}" is not a node name (nodes have no namespace)`);
  const res = await new ApiClient(resolveTarget(opts)).deleteNode(name);
  const revoked = res.revoked
    ? `; ${res.revoked} certificate(s) revoked: its link is closed and it cannot connect again without a new join`
    : '';
  write(`node/${name} ${res.deleted ? 'deleted' : `kept (${res.kept ?? 'not found'})`}${revoked}\n`);
  return 0;
}
