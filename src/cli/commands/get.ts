import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import {
  ApiClient,
  checkFormat,
  clientErrors,
  devicesTable,
  modelsTable,
  nodesTable,
  parseObjectName,
  podsTable,
  render,
  DEFAULT_SERVER,
  EDGE_SERVER,
  resolveTarget,
  twinTable,
  type TargetOptions,
} from '../../client/index.js';

const HELP = `
Kinds: nodes (cloud only), devices, devicemodels, pods, twin <namespace>/<name>. A device name without a
namespace means namespace default.

Examples:
  kedge get nodes
  kedge get devices -o yaml
  kedge get twin default/em24-1
  kedge get pods
  kedge get pods default/grafana -o yaml
  kedge get twin default/em24-1 -o json --edge
`;

export interface GetOptions extends TargetOptions {
  output?: string;
}

const KINDS: Record<string, 'nodes' | 'devices' | 'devicemodels' | 'twin' | 'pods'> = {
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  nodes: 'nodes',
  node: 'nodes',
  devices: 'devices',
  device: 'devices',
  devicemodels: 'devicemodels',
  devicemodel: 'devicemodels',
  twin: 'twin',
  twins: 'twin',
};

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('Show nodes, devices, device models, pods or the twin of one device')
    .argument('<kind>', 'nodes | devices | devicemodels | pods | twin')
    .argument('[name]', '<namespace>/<name> (for twin, or one device)')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .option('--edge', `ask the local edge node (${EDGE_SERVER}) instead of the cloud`)
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(
      runAction('get', (kind: string, name: string | undefined, opts: GetOptions) =>
        runGet(kind, name, opts, (s) => process.stdout.write(s)),
      ),
    );
}

export async function runGet(
  kindArg: string,
  name: string | undefined,
  opts: GetOptions,
  write: (text: string) => void,
): Promise<number> {
  const kind = KINDS[kindArg.toLowerCase()];
  if (!kind)
    throw clientErrors.create(
      'KEDGE_CLIENT_BAD_ARGUMENT',
      `unknown kind "${kindArg}": use nodes, devices, devicemodels, pods or twin`,
    );
  const format = checkFormat(opts.output);
  if (kind === 'pods' && opts.edge)
    throw clientErrors.create(
      'KEDGE_CLIENT_BAD_ARGUMENT',
      'Pods and their status are kept by the cloud: kedge get pods without --edge',
    );
  const client = new ApiClient(resolveTarget(opts));
  if (kind === 'twin') {
    if (!name)
      throw clientErrors.create(
        'KEDGE_CLIENT_BAD_ARGUMENT',
        'kedge get twin needs the device: kedge get twin <namespace>/<name>',
      );
    const { namespace, name: device } = parseObjectName(name);
    const twin = await client.twin(namespace, device);
    // The device's state first (as kedge/status/device shows it), then its properties.
    if (format === 'table') write(`${twin.id}: ${twin.state}${twin.reason ? ` (${twin.reason})` : ''}\n`);
    write(render(twin, format, (t) => twinTable(t)));
  } else if (kind === 'devices' && name) {
    const { namespace, name: device } = parseObjectName(name);
    const one = await client.device(namespace, device);
    write(render(one, format, (d) => devicesTable({ items: [d] })));
  } else if (kind === 'pods' && name) {
    const { namespace, name: pod } = parseObjectName(name);
    write(render(await client.pod(namespace, pod), format, (p) => podsTable({ items: [p] })));
  } else if (kind === 'pods') {
    write(render(await client.pods(), format, (l) => podsTable(l)));
  } else if (kind === 'devices') {
    write(render(await client.devices(), format, devicesTable));
  } else if (kind === 'devicemodels') {
    write(render(await client.deviceModels(), format, modelsTable));
  } else {
    write(render(await client.nodes(), format, (n) => nodesTable(n)));
  }
  return 0;
}
