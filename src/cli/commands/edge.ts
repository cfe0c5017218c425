import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import { runAction } from '../run-action.js';
import { port as portOption } from '../option-parsers.js';
import { configPort, portInUse, type PortSetting } from '../port-in-use.js';

const port = portOption(0);

const HELP = `
Runs the edge node: the embedded MQTT broker (or --mqtt-url), the cleansing pipeline, the device
twin, the local store (<data-dir>/edge.db), the mappers, the local API and dashboard on
127.0.0.1:--api-port (--api-host with --api-token-file to reach the dashboard from another machine)
and ServiceBus. With no --cloud it runs standalone from devices applied locally:

  kedge edge --node edge-1 --data-dir /var/lib/kedge
  kedge apply -f device-models/moxa-iologik-e1214.yaml --edge
  mosquitto_sub -p 1884 -t '$hw/events/device/+/+/twin/update/document'

SIGINT/SIGTERM stop everything cleanly (exit 0).
`;

/** Every port the edge node listens on, with its flag: a taken port names the flag to change. */
export const EDGE_PORTS: readonly PortSetting[] = [
  configPort(['edge', 'mqtt', 'port'], '--mqtt-port', 'the embedded MQTT broker'),
  configPort(['edge', 'apiPort'], '--api-port', 'the local HTTP API'),
  configPort(['edge', 'servicebusPort'], '--servicebus-port', 'ServiceBus'),
];

interface EdgeOptions {
  node?: string;
  dataDir?: string;
  cloud?: string;
  tokenFile?: string;
  mqttPort?: number;
  mqttUrl?: string;
  apiPort?: number;
  apiHost?: string;
  apiTokenFile?: string;
  servicebusPort?: number;
  config?: string;
  mappers?: string;
  logLevel?: string;
}

function mode(text: string): string {
  if (!['process', 'inprocess', 'none'].includes(text))
    throw new InvalidArgumentError('expected process, inprocess or none');
  return text;
}

export function registerEdge(program: Command): void {
  program
    .command('edge')
    .description('Run the edge node (EventBus, pipeline, DeviceTwin, MetaManager, Edged, ServiceBus, local API)')
    .option('--node <name>', 'node name (DNS-1123)')
    .option('--data-dir <dir>', 'folder of the SQLite store, logs and mapper state')
    .option(
      '--cloud <url>',
      `CloudHub URL (ws[s]://host:${DEFAULT_PORTS.cloudHub}), or cloud replicas tried in turn (ws://a:10000,ws://b:10000); none = standalone`,
    )
    .option('--token-file <file>', "the token CloudHub expects (the same file as the cloud's --token-file)")
    .option('--mqtt-port <port>', `embedded MQTT broker port on 127.0.0.1 (default ${DEFAULT_PORTS.edgeMqtt})`, port)
    .option('--mqtt-url <url>', 'external MQTT broker (e.g. mqtt://127.0.0.1:1883) instead of the embedded one')
    .option('--api-port <port>', `local HTTP API and dashboard port (default ${DEFAULT_PORTS.edgeApi})`, port)
    .option(
      '--api-host <addr>',
      'local HTTP API and dashboard address (default 127.0.0.1; another needs --api-token-file: the API writes to devices)',
    )
    .option(
      '--api-token-file <file>',
      'the local API wants the token in this file from every request but /healthz and the dashboard files',
    )
    .option(
      '--servicebus-port <port>',
      `ServiceBus HTTP port on 127.0.0.1, for edge apps calling the cloud (default ${DEFAULT_PORTS.edgeServicebus})`,
      port,
    )
    .option('-c, --config <file>', 'YAML config file')
    .option('--mappers <mode>', 'process | inprocess | none (default process)', mode)
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .addHelpText('after', HELP)
    .action(runAction('edge', (opts: EdgeOptions) => runEdge(opts)));
}

export async function runEdge(opts: EdgeOptions): Promise<void> {
  const [
    { loadConfig },
    { createLogger },
    { stopOnSignal },
    { createEdgeNode },
    { edgeHubModules },
    { inProcessMappers },
  ] = await Promise.all([
    import('../../core/config/index.js'),
    import('../../core/log/index.js'),
    import('../../core/module/index.js'),
    import('../../edge/index.js'),
    import('../../edge/edgehub/index.js'),
    import('../inprocess-mappers.js'),
  ]);
  const flag = (path: string[], value: unknown, name: string) => ({ path: ['edge', ...path], value, flag: name });
  const config = loadConfig({
    file: opts.config,
    env: process.env,
    flags: [
      flag(['node'], opts.node, '--node'),
      flag(['dataDir'], opts.dataDir, '--data-dir'),
      flag(['cloud'], opts.cloud, '--cloud'),
      flag(['cloudTokenFile'], opts.tokenFile, '--token-file'),
      flag(['mqtt', 'port'], opts.mqttPort, '--mqtt-port'),
      flag(['mqtt', 'url'], opts.mqttUrl, '--mqtt-url'),
      flag(['apiPort'], opts.apiPort, '--api-port'),
      flag(['apiHost'], opts.apiHost, '--api-host'),
      flag(['apiTokenFile'], opts.apiTokenFile, '--api-token-file'),
      flag(['servicebusPort'], opts.servicebusPort, '--servicebus-port'),
      flag(['mappers'], opts.mappers, '--mappers'),
      { path: ['log', 'level'], value: opts.logLevel, flag: '--log-level' },
    ],
  });
  const logger = createLogger({ level: config.log.level as 'info', pretty: config.log.pretty, name: 'kedge-edge' });
  // EdgeHub when --cloud is given; the mapper SDK and drivers when mappers run in this process.
  const node = createEdgeNode(config.edge, { logger, extraModules: edgeHubModules, inProcessMapper: inProcessMappers });
  try {
    await node.start();
  } catch (err) {
    throw portInUse(err, EDGE_PORTS, config, 'edge') ?? err;
  }
  logger.info(
    {
      node: config.edge.node,
      mqtt: node.eventbus.url,
      api: `http://${config.edge.apiHost}:${node.api.port}`,
      servicebus: `http://127.0.0.1:${node.servicebus.port}`,
      cloud: config.edge.cloud ?? 'none (standalone)',
    },
    'edge node ready',
  );
  await stopOnSignal(node, logger);
}
