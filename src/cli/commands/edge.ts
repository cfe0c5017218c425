import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import { runAction } from '../run-action.js';
import { port as portOption } from '../option-parsers.js';
import { registerEdgeJoin } from './edge-join.js';
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

With --runtime container the mappers run as containers on the container engine (podman system
service or Docker), from the image deploy/container/build-image.sh builds. Pods applied in the
cloud with spec.nodeName = this node run there too, with either runtime. Stopping the edge leaves
its containers running; the next start adopts them.

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
  dmiSocket?: string;
  runtime?: string;
  containerSocket?: string;
  mapperImage?: string;
  logLevel?: string;
}

function runtime(text: string): string {
  if (!['process', 'container'].includes(text)) throw new InvalidArgumentError('expected process or container');
  return text;
}

function mode(text: string): string {
  if (!['process', 'inprocess', 'none'].includes(text))
    throw new InvalidArgumentError('expected process, inprocess or none');
  return text;
}

export function registerEdge(program: Command): void {
  const edge = program
    .command('edge')
    .description('Run the edge node (EventBus, pipeline, DeviceTwin, MetaManager, Edged, ServiceBus, local API)')
    .option('--node <name>', 'node name (DNS-1123)')
    .option('--data-dir <dir>', 'folder of the SQLite store, logs and mapper state')
    .option(
      '--cloud <url>',
      `CloudHub URL (wss://host:${DEFAULT_PORTS.cloudHub} with the certificate of kedge edge join; ws:// for the insecure lab link), or cloud replicas tried in turn (wss://a:10000,wss://b:10000); default: the cloud joined, else standalone`,
    )
    .option(
      '--token-file <file>',
      "insecure lab link only: the shared token CloudHub expects (the same file as the cloud's --token-file)",
    )
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
    .option(
      '--dmi-socket <path>',
      "KubeEdge DMI socket for DMI mappers (default <data-dir>/dmi.sock; KubeEdge's mappers expect /etc/kubeedge/dmi.sock; off = none)",
    )
    .option('--runtime <runtime>', 'process | container: how Edged runs the mappers (default process)', runtime)
    .option('--container-socket <path>', 'Docker-API socket of podman system service or dockerd (default: found)')
    .option('--mapper-image <image>', 'image of mapper containers (default localhost/kedge:<version>)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .addHelpText('after', HELP)
    .action(runAction('edge', (opts: EdgeOptions) => runEdge(opts)));
  // Options after `edge join` are the join's (--cloud, --node, --data-dir exist on both).
  edge.enablePositionalOptions();
  registerEdgeJoin(edge);
}

export async function runEdge(opts: EdgeOptions): Promise<number | undefined> {
  const [
    { loadConfig },
    { createLogger },
    { stopOnSignal },
    { createEdgeNode },
    { edgeHubModules },
    { inProcessMappers },
    { readJoined },
  ] = await Promise.all([
    import('../../core/config/index.js'),
    import('../../core/log/index.js'),
    import('../../core/module/index.js'),
    import('../../edge/index.js'),
    import('../../edge/edgehub/index.js'),
    import('../inprocess-mappers.js'),
    import('../../edge/join/index.js'),
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
      flag(['dmiSocket'], opts.dmiSocket, '--dmi-socket'),
      flag(['runtime'], opts.runtime, '--runtime'),
      flag(['containerSocket'], opts.containerSocket, '--container-socket'),
      flag(['mapperImage'], opts.mapperImage, '--mapper-image'),
      { path: ['log', 'level'], value: opts.logLevel, flag: '--log-level' },
    ],
  });
  const logger = createLogger({ level: config.log.level as 'info', pretty: config.log.pretty, name: 'kedge-edge' });
  // A node that joined a cloud (kedge edge join) connects to it without --cloud.
  config.edge.cloud ??= readJoined(config.edge.dataDir)?.cloud;
  let fatal = false;
  const node = createEdgeNode(config.edge, {
    logger,
    // EdgeHub when --cloud is given; the mapper SDK and drivers when mappers run in this process.
    extraModules: edgeHubModules,
    inProcessMapper: inProcessMappers,
    mapperBuffer: { bytes: config.mapper.bufferBytes, offlinePollMs: config.mapper.offlinePollMs },
    // The store keeps failing (not for lack of space): stop cleanly and exit 75, so that the
    // supervisor (systemd: Restart=always) starts the edge again and the start-up check repairs it.
    onFatal: (err) => {
      if (fatal) return;
      fatal = true;
      logger.fatal({ code: err.code, err: err.message, hint: err.hint }, 'edge node stopping: its store keeps failing');
      process.kill(process.pid, 'SIGTERM');
    },
  });
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
  return fatal ? EXIT_STORE_FAILING : undefined;
}

/** EX_TEMPFAIL: the store kept failing; a restart runs the start-up check that repairs it. */
const EXIT_STORE_FAILING = 75;
