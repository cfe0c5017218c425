import type { Command } from 'commander';
import { formatDiagnostic } from '../../core/yaml/index.js';
import { runAction } from '../run-action.js';
import { ApiClient, DEFAULT_SERVER, EDGE_SERVER, resolveTarget, type TargetOptions } from '../../client/index.js';

const HELP = `
Validates the files first, with exactly the checks and messages of \`kedge validate\`; any error
stops here and nothing is sent. A Device may use a DeviceModel that is already in the cloud (or
the edge): the server checks that reference, and the Device against the model, as kubectl leaves
references to the API server. Then sends every DeviceModel, Device and Pod to the kedge cloud (or,
with --edge, DeviceModels and Devices to the edge node's local API) in one request, which applies
all or nothing. A Pod (v1) with spec.nodeName runs on that edge node.

Examples:
  kedge apply -f device-models/carlo-gavazzi-em24-din.yaml
  kedge apply -f device-models/                     # every model and device below the folder
  kedge apply -f device-models/moxa-iologik-e1214.yaml --edge   # a standalone edge node, no cloud
  kedge apply -f device-models/eastron-sdm120.yaml --server http://cloud.example:10090
  kedge apply -f deploy/examples/pod-counter.yaml   # an edge application (Pod) on its nodeName
`;

export interface ApplyOptions extends TargetOptions {
  filename: string[];
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Validate Device/DeviceModel/Pod YAML and create or update them in the kedge cloud (or an edge)')
    .requiredOption('-f, --filename <path...>', 'YAML files or folders (repeatable)')
    .option('--edge', `send to the local edge node (${EDGE_SERVER}) instead of the cloud`)
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(runAction('apply', (opts: ApplyOptions) => runApply(opts, (s) => process.stdout.write(s))));
}

/** Returns the exit code: 1 when validation fails (nothing sent). Server errors throw. */
export async function runApply(opts: ApplyOptions, write: (text: string) => void): Promise<number> {
  const client = new ApiClient(resolveTarget(opts));
  const { validateFiles } = await import('../../model/index.js');
  // A Device may use a model already in the cloud (or the edge): the server checks that reference.
  const result = await validateFiles(opts.filename, { modelsElsewhere: true });
  for (const d of result.diagnostics) write(`${formatDiagnostic(d)}\n`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) {
    write(`${errors} error${errors === 1 ? '' : 's'}: nothing applied\n`);
    return 1;
  }
  if (opts.edge && result.pods.length > 0) {
    write('Pods are applied to the cloud, which sends them to their node: apply them without --edge\n');
    return 1;
  }
  const documents = [...result.models, ...result.devices, ...result.pods];
  if (documents.length === 0) {
    write('no Device, DeviceModel or Pod documents found: nothing applied\n');
    return 1;
  }
  const applied = await client.apply(documents);
  for (const a of applied.applied) write(`${a.kind.toLowerCase()}/${a.namespace}/${a.name} ${a.action}\n`);
  for (const w of applied.warnings) write(`warning: ${w}\n`);
  return 0;
}
