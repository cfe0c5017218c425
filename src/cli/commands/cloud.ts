import type { Command } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import { runAction } from '../run-action.js';
import { configPort, portInUse, type PortSetting } from '../port-in-use.js';

/** Every port the cloud listens on, with its flag: a taken port names the flag to change. */
export const CLOUD_PORTS: readonly PortSetting[] = [
  configPort(['cloud', 'hubPort'], '--hub-port', 'CloudHub'),
  configPort(['cloud', 'apiPort'], '--api-port', 'the HTTP API'),
  configPort(['cloud', 'mqtt', 'port'], '--mqtt-port', 'the embedded cloud MQTT broker'),
];

interface CloudFlags {
  config?: string;
  dataDir?: string;
  store?: string;
  replicaId?: string;
  hubPort?: string;
  hubHost?: string;
  tokenFile?: string;
  apiTokenFile?: string;
  apiPort?: string;
  apiHost?: string;
  mqttPort?: string;
  mqttHost?: string;
  mqttUrl?: string;
  logLevel?: string;
}

export function registerCloud(program: Command): void {
  program
    .command('cloud')
    .description(
      'Run the cloud side: store, CloudHub (edge nodes connect here), device/edge controllers, cloud MQTT and the HTTP API',
    )
    .option('-c, --config <file>', 'YAML config file (section "cloud")')
    .option('--data-dir <dir>', 'folder of the cloud store (default .kedge/cloud)')
    .option(
      '--store <store>',
      'sqlite (default: one process, in --data-dir) or etcd://host1:2379,host2:2379,host3:2379 (replicas share it)',
    )
    .option(
      '--replica-id <name>',
      "this replica's name in leader election and node claims (default hostname-pid-random)",
    )
    .option('--hub-port <port>', `CloudHub WebSocket port (default ${DEFAULT_PORTS.cloudHub})`)
    .option('--hub-host <addr>', 'CloudHub address (default 0.0.0.0: edge nodes connect from other machines)')
    .option(
      '--token-file <file>',
      'edge nodes must present the token in this file (give each node the same file with kedge edge --token-file)',
    )
    .option('--api-port <port>', `HTTP API port for the CLI (default ${DEFAULT_PORTS.cloudApi})`)
    .option('--api-host <addr>', 'HTTP API address (default 127.0.0.1; set --api-token-file before opening it wider)')
    .option(
      '--api-token-file <file>',
      'the HTTP API wants the token in this file from every request but /healthz (the CLI: --token-file or KEDGE_API_TOKEN_FILE)',
    )
    .option('--mqtt-port <port>', `embedded cloud MQTT broker port (default ${DEFAULT_PORTS.cloudMqtt})`)
    .option('--mqtt-host <addr>', 'embedded broker address (default 127.0.0.1; 0.0.0.0 lets other machines subscribe)')
    .option(
      '--mqtt-url <url>',
      'use an external MQTT 3.1.1 broker (e.g. mqtt://mosquitto:1883) instead of the embedded one',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .addHelpText(
      'after',
      '\nExamples:\n  kedge cloud --data-dir /var/lib/kedge/cloud\n  kedge cloud --store etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 --mqtt-url mqtt://mosquitto:1883\n  kedge cloud --data-dir ./cloud --mqtt-url mqtt://127.0.0.1:1883\n  mosquitto_sub -h 127.0.0.1 -t "kedge/#" -v\n',
    )
    .action(runAction('cloud', (flags: CloudFlags) => runCloud(flags)));
}

async function runCloud(flags: CloudFlags): Promise<number> {
  const [{ loadConfig }, { createLogger }, { createMetricsRegistry }, { stopOnSignal }, { createCloudNode }] =
    await Promise.all([
      import('../../core/config/index.js'),
      import('../../core/log/index.js'),
      import('../../core/metrics/index.js'),
      import('../../core/module/index.js'),
      import('../../cloud/index.js'),
    ]);
  const num = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  const config = loadConfig({
    file: flags.config,
    env: process.env,
    flags: [
      { path: ['cloud', 'dataDir'], value: flags.dataDir, flag: '--data-dir' },
      { path: ['cloud', 'store'], value: flags.store, flag: '--store' },
      { path: ['cloud', 'replicaId'], value: flags.replicaId, flag: '--replica-id' },
      { path: ['cloud', 'hubPort'], value: num(flags.hubPort), flag: '--hub-port' },
      { path: ['cloud', 'hubHost'], value: flags.hubHost, flag: '--hub-host' },
      { path: ['cloud', 'tokenFile'], value: flags.tokenFile, flag: '--token-file' },
      { path: ['cloud', 'apiPort'], value: num(flags.apiPort), flag: '--api-port' },
      { path: ['cloud', 'apiHost'], value: flags.apiHost, flag: '--api-host' },
      { path: ['cloud', 'apiTokenFile'], value: flags.apiTokenFile, flag: '--api-token-file' },
      { path: ['cloud', 'mqtt', 'port'], value: num(flags.mqttPort), flag: '--mqtt-port' },
      { path: ['cloud', 'mqtt', 'host'], value: flags.mqttHost, flag: '--mqtt-host' },
      { path: ['cloud', 'mqtt', 'url'], value: flags.mqttUrl, flag: '--mqtt-url' },
      { path: ['log', 'level'], value: flags.logLevel, flag: '--log-level' },
    ],
  });
  const logger = createLogger({
    level: config.log.level as 'info',
    ...(config.log.pretty === undefined ? {} : { pretty: config.log.pretty }),
    name: 'kedge-cloud',
  });
  const registry = createMetricsRegistry({ defaultMetrics: true });
  const node = createCloudNode(config.cloud, { logger, registry });
  try {
    await node.start();
  } catch (err) {
    throw portInUse(err, CLOUD_PORTS, config, 'cloud') ?? err;
  }
  const { hub, api, mqtt } = node.ports;
  logger.info(
    { hub, api, mqtt: mqtt ?? config.cloud.mqtt.url },
    `kedge cloud ready: edges connect to ws://<this host>:${hub}, CLI uses http://127.0.0.1:${api}`,
  );
  await stopOnSignal(node, logger);
  return 0;
}
