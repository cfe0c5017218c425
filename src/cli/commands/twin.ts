import type { Command } from 'commander';
import type { TwinView } from '../../contracts/index.js';
import { twinValuesMatch } from '../../model/index.js';
import { runAction } from '../run-action.js';
import {
  ApiClient,
  checkFormat,
  clientErrors,
  parseObjectName,
  render,
  DEFAULT_SERVER,
  EDGE_SERVER,
  resolveTarget,
  twinTable,
  type TargetOptions,
} from '../../client/index.js';

const HELP = `
Sets desired values of a device's properties (the twin's "desired"); the edge writes them to the
device, reads them back and reports them. With --wait, waits until every value is confirmed
(reported == desired) or failed, and exits 1 unless all are confirmed.

Examples:
  kedge twin set default/relay-hat relay1=true
  kedge twin set default/e1214 pulseWidth=250 --wait
  kedge twin set default/e1214 pulseWidth=250 --wait 30000 -o json
`;

export const DEFAULT_WAIT_MS = 10_000;

export interface TwinSetOptions extends TargetOptions {
  wait?: boolean | string;
  output?: string;
}

export function registerTwin(program: Command): void {
  const twin = program.command('twin').description("Change a device's twin (desired values)");
  twin
    .command('set')
    .description('Set desired property values of a device: <namespace>/<name> <prop>=<value>...')
    .argument('<device>', '<namespace>/<name>')
    .argument('<assignments...>', '<property>=<value> (values as strings, like KubeEdge)')
    .option('--wait [ms]', `wait until the device confirmed the values (default ${DEFAULT_WAIT_MS} ms)`)
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .option('--edge', `send to the local edge node (${EDGE_SERVER}) instead of the cloud`)
    .option('--server <url>', `kedge API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(
      runAction('twin set', (device: string, assignments: string[], opts: TwinSetOptions) =>
        runTwinSet(device, assignments, opts, (s) => process.stdout.write(s)),
      ),
    );
}

export async function runTwinSet(
  deviceArg: string,
  assignments: string[],
  opts: TwinSetOptions,
  write: (text: string) => void,
): Promise<number> {
  const { namespace, name } = parseObjectName(deviceArg);
  const properties = parseAssignments(assignments);
  const format = checkFormat(opts.output);
  const waitMs = waitOption(opts.wait);
  const twin = await new ApiClient(resolveTarget(opts)).setDesired(namespace, name, properties, waitMs);
  write(render(twin, format, (t) => twinTable(t)));
  if (waitMs === undefined) return 0;
  const problem = unconfirmed(twin, Object.keys(properties));
  if (!problem) return 0;
  throw clientErrors.create('KEDGE_CLIENT_NOT_CONFIRMED', `${namespace}/${name}: ${problem}`);
}

export function parseAssignments(assignments: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `"${a}" is not <property>=<value>`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function waitOption(wait: boolean | string | undefined): number | undefined {
  if (wait === undefined || wait === false) return undefined;
  if (wait === true) return DEFAULT_WAIT_MS;
  const ms = Number(wait);
  if (!Number.isInteger(ms) || ms < 0)
    throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `--wait ${wait}: give milliseconds, e.g. --wait 5000`);
  return ms;
}

/** Why the set properties are not all confirmed, or undefined when they are. */
function unconfirmed(twin: TwinView, props: string[]): string | undefined {
  const reasons: string[] = [];
  for (const p of props) {
    const t = twin.properties[p];
    if (!t) reasons.push(`${p}: not in the twin`);
    else if (t.failed) reasons.push(`${p} failed: ${t.failed.reason}`);
    else if (t.pending || !t.reported || !t.desired || !twinValuesMatch(t.reported.value, t.desired.value))
      reasons.push(`${p} not confirmed yet (reported ${t.reported?.value ?? 'nothing'})`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}
