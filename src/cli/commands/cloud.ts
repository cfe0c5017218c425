import type { Command } from 'commander';
import { DEFAULT_PORTS } from '../../core/config/index.js';
import { runAction } from '../run-action.js';
import { configPort, portInUse, type PortSetting } from '../port-in-use.js';

/** Every port the cloud listens on, with its flag: a taken port names the flag to change. */
export const CLOUD_PORTS: readonly PortSetting[] = [
  configPort(['cloud', 'hubPort'], '--hub-port', 'CloudHub'),
  configPort(['cloud', 'apiPort'], '--api-port', 'the HTTP API'),
  configPort(['cloud', 'mqtt', 'port'], '--mqtt-port', 'the embedded cloud MQTT broker'),
  configPort(['cloud', 'pki', 'joinPort'], '--join-port', 'the join port (nodes join and renew certificates)'),
];

interface CloudFlags {
  config?: string;
  dataDir?: string;
  store?: string;
  kubeconfig?: string;
  kubeNamespace?: string;
  replicaId?: string;
  hubPort?: string;
  hubHost?: string;
  tokenFile?: string;
  insecureLink?: boolean;
  caCertFile?: string;
  caKeyFile?: string;
  joinPort?: string;
  serverName?: string[];
  apiTokenFile?: string;
  apiReadTokenFile?: string;
  metricsTokenFile?: string;
  apiTlsCertFile?: string;
  apiTlsKeyFile?: string;
  apiPort?: string;
  apiHost?: string;
  insecureApi?: boolean;
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
      'sqlite (default: one process, in --data-dir), kubernetes (devices as CRDs, edge nodes as Nodes and Leases of a cluster) or etcd://host1:2379,host2:2379,host3:2379 (replicas share it)',
    )
    .option(
      '--kubeconfig <file>',
      'with --store kubernetes: the cluster credentials (default $KUBECONFIG, then the in-cluster service account)',
    )
    .option(
      '--kube-namespace <ns>',
      "with --store kubernetes: namespace of the replicas' Leases (default the kubeconfig context's; in a pod its own)",
    )
    .option(
      '--replica-id <name>',
      "this replica's name in leader election and node claims (default hostname-pid-random)",
    )
    .option('--hub-port <port>', `CloudHub WebSocket port (default ${DEFAULT_PORTS.cloudHub})`)
    .option('--hub-host <addr>', 'CloudHub address (default 0.0.0.0: edge nodes connect from other machines)')
    .option(
      '--token-file <file>',
      'with --insecure-link only: edge nodes must present the token in this file (give each node the same file with kedge edge --token-file)',
    )
    .option(
      '--insecure-link',
      'LAB ONLY: plain ws:// link, nodes are who their URL says (with --token-file: anyone holding the shared token). Default: wss:// with a certificate per node',
    )
    .option(
      '--ca-cert-file <file>',
      'sign node certificates with this CA (PEM; with --ca-key-file); default: one kedge creates in <data-dir>/pki',
    )
    .option('--ca-key-file <file>', 'the key of --ca-cert-file (PEM)')
    .option(
      '--join-port <port>',
      `HTTPS port nodes join and renew certificates on (default ${DEFAULT_PORTS.cloudJoin})`,
    )
    .option(
      '--server-name <name>',
      "a host name or address edges reach the cloud by, put in the cloud's TLS certificate (repeat; this host's own are always in)",
      (v: string, prev: string[] = []) => [
        ...prev,
        ...v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ],
    )
    .option('--api-port <port>', `HTTP API port for the CLI (default ${DEFAULT_PORTS.cloudApi})`)
    .option('--api-host <addr>', 'HTTP API address (default 127.0.0.1; set --api-token-file before opening it wider)')
    .option(
      '--api-token-file <file>',
      'the HTTP API wants the token in this file from every request but /healthz (the CLI: --token-file or KEDGE_API_TOKEN_FILE)',
    )
    .option('--api-read-token-file <file>', 'a token that may only read the HTTP API (GET), /metrics included')
    .option('--metrics-token-file <file>', 'a token that may only scrape /metrics (for Prometheus)')
    .option(
      '--api-tls-cert-file <file>',
      'serve the HTTP API over HTTPS with this certificate (PEM; with --api-tls-key-file)',
    )
    .option('--api-tls-key-file <file>', 'the key of --api-tls-cert-file (PEM)')
    .option(
      '--insecure-api',
      'let the HTTP API listen beyond 127.0.0.1 without --api-token-file (refused otherwise: anyone reaching it could administer the cloud)',
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
      '\nExamples:\n  kedge cloud --data-dir /var/lib/kedge/cloud\n  kedge cloud --store etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 --mqtt-url mqtt://mosquitto:1883\n  kedge cloud --store kubernetes --kubeconfig ~/.kube/config   # kubectl apply -f deploy/crds/ first\n  kedge cloud --data-dir ./cloud --mqtt-url mqtt://127.0.0.1:1883\n  mosquitto_sub -h 127.0.0.1 -t "kedge/#" -v\n',
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
      { path: ['cloud', 'kubeconfig'], value: flags.kubeconfig, flag: '--kubeconfig' },
      { path: ['cloud', 'kubeNamespace'], value: flags.kubeNamespace, flag: '--kube-namespace' },
      { path: ['cloud', 'replicaId'], value: flags.replicaId, flag: '--replica-id' },
      { path: ['cloud', 'hubPort'], value: num(flags.hubPort), flag: '--hub-port' },
      { path: ['cloud', 'hubHost'], value: flags.hubHost, flag: '--hub-host' },
      { path: ['cloud', 'tokenFile'], value: flags.tokenFile, flag: '--token-file' },
      { path: ['cloud', 'insecureLink'], value: flags.insecureLink, flag: '--insecure-link' },
      { path: ['cloud', 'pki', 'caCertFile'], value: flags.caCertFile, flag: '--ca-cert-file' },
      { path: ['cloud', 'pki', 'caKeyFile'], value: flags.caKeyFile, flag: '--ca-key-file' },
      { path: ['cloud', 'pki', 'joinPort'], value: num(flags.joinPort), flag: '--join-port' },
      { path: ['cloud', 'pki', 'serverNames'], value: flags.serverName, flag: '--server-name' },
      { path: ['cloud', 'apiPort'], value: num(flags.apiPort), flag: '--api-port' },
      { path: ['cloud', 'apiHost'], value: flags.apiHost, flag: '--api-host' },
      { path: ['cloud', 'apiTokenFile'], value: flags.apiTokenFile, flag: '--api-token-file' },
      { path: ['cloud', 'apiReadTokenFile'], value: flags.apiReadTokenFile, flag: '--api-read-token-file' },
      { path: ['cloud', 'metricsTokenFile'], value: flags.metricsTokenFile, flag: '--metrics-token-file' },
      { path: ['cloud', 'apiTls', 'certFile'], value: flags.apiTlsCertFile, flag: '--api-tls-cert-file' },
      { path: ['cloud', 'apiTls', 'keyFile'], value: flags.apiTlsKeyFile, flag: '--api-tls-key-file' },
      { path: ['cloud', 'insecureApi'], value: flags.insecureApi, flag: '--insecure-api' },
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
  const { hub, api, mqtt, join } = node.ports;
  const scheme = config.cloud.insecureLink ? 'ws' : 'wss';
  logger.info(
    { hub, api, mqtt: mqtt ?? config.cloud.mqtt.url, join },
    `kedge cloud ready: edges connect to ${scheme}://<this host>:${hub}${join ? ` after joining on :${join} (kedge token create)` : ''}, CLI uses http://127.0.0.1:${api}`,
  );
  await stopOnSignal(node, logger);
  return 0;
}
