import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';
import { integer, port as portOption } from '../option-parsers.js';

const port = portOption(0);

function milliseconds(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected milliseconds, e.g. 15000 (0: never)');
  return n;
}

const HELP = `
Runs protocol drivers for the devices of this node. The desired devices arrive over MQTT as a
retained device set per protocol ($ke/mappers/<protocol>/devices, published by the edge node);
the mapper adds, changes and removes devices to match, whatever the start order. Readings go to
$ke/events/device/<ns>/<name>/data/raw (the edge republishes them on
KubeEdge's data/update in its DeviceData shape), states to $hw/events/device/<ns>/<name>/state/update;
desired values from .../twin/update/delta are written and read back (.../write/result). Liveness:
$ke/mapper-status/<name> (retained; the MQTT last will says offline).
A driver is loaded only when a device of its protocol arrives.

With --dmi the mapper speaks KubeEdge's Device Management Interface (gRPC on unix sockets) instead
of MQTT, like a mapper-framework mapper: it serves DeviceMapperService on --mapper-socket,
registers each protocol with the edge's DMI socket (kedge edge, or KubeEdge's edgecore at
/etc/kubeedge/dmi.sock) and exits if that fails; devices and desired values arrive as
RegisterDevice/UpdateDevice calls, readings and states go back as ReportDeviceStatus/States.

Examples:
  kedge mapper --protocol modbus --mqtt-url mqtt://127.0.0.1:1884 --node edge-1
  kedge mapper --protocol modbus,serial,gpio --mqtt-url mqtt://127.0.0.1:1884 --node edge-1 --metrics-port 9464
  kedge mapper --protocol modbus --node edge-1 --dmi --dmi-socket /var/lib/kedge/edge/dmi.sock
`;

export interface MapperCommandOptions {
  protocol: string[];
  mqttUrl?: string;
  dmi?: boolean;
  dmiSocket?: string;
  mapperSocket?: string;
  node: string;
  name?: string;
  dataDir: string;
  metricsPort?: number;
  metricsInterval: number;
  logLevel: string;
  bufferBytes?: number;
  offlinePollMs?: number;
}

function protocols(text: string): string[] {
  const list = text
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected protocol names, e.g. modbus or modbus,serial');
  return [...new Set(list)];
}

export function registerMapper(program: Command): void {
  program
    .command('mapper')
    .description('Run device protocol drivers (modbus, opcua, serial, gpio) for the devices of one node over MQTT')
    .requiredOption('-p, --protocol <list>', 'comma-separated protocols to host, e.g. modbus,serial', protocols)
    .option('--mqtt-url <url>', 'MQTT broker of the edge node, e.g. mqtt://127.0.0.1:1884 (not with --dmi)')
    .option('--dmi', "speak KubeEdge's DMI (gRPC on unix sockets) instead of MQTT")
    .option('--dmi-socket <path>', "the edge's DMI socket (with --dmi; default /etc/kubeedge/dmi.sock, KubeEdge's)")
    .option('--mapper-socket <path>', "this mapper's own DMI socket (with --dmi; default <data-dir>/<name>.sock)")
    .requiredOption('--node <name>', 'node name (the device sets are per node)')
    .option('--name <name>', 'mapper name for its status topic (default <node>-<protocols>)')
    .option('--data-dir <dir>', 'folder for driver state (certificates...)', '.kedge/mapper')
    .option('--metrics-port <port>', 'serve Prometheus /metrics on 127.0.0.1:<port>', port)
    .option(
      '--buffer-bytes <bytes>',
      'readings held while the broker is away, oldest dropped beyond (default: mapper.bufferBytes, 8 MiB)',
      integer(0, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--offline-poll-ms <ms>',
      'stop polling after the broker has been away this long (default: mapper.offlinePollMs, 10 min)',
      integer(1000, 2_147_483_647),
    )
    .option(
      '--metrics-interval <ms>',
      'push the metrics to the edge (its /metrics shows them) every <ms> milliseconds; 0: never',
      milliseconds,
      15_000,
    )
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .addHelpText('after', HELP)
    // One of the two transports, checked as commander checks a required option (usage error, exit 1).
    .hook('preAction', (cmd) => {
      const o = cmd.opts<MapperCommandOptions>();
      if (!o.dmi && !o.mqttUrl)
        cmd.error("error: required option '--mqtt-url <url>' not specified (or --dmi for the edge's DMI socket)");
      if (o.dmi && o.mqttUrl) cmd.error('error: give either --mqtt-url or --dmi, not both');
    })
    .action(runAction('mapper', (opts: MapperCommandOptions) => runMapper(opts)));
}

export async function runMapper(opts: MapperCommandOptions): Promise<void> {
  const [
    { MapperRuntime },
    { DRIVER_PROTOCOLS, driverLoader },
    { createLogger },
    { LiteRegistry, detachedRegistry },
    { systemClock },
    { stopOnSignal },
  ] = await Promise.all([
    import('../../../mappers/sdk/index.js'),
    import('../../../mappers/drivers.js'),
    import('../../core/log/index.js'),
    import('../../core/metrics/index.js'),
    import('../../core/clock/index.js'),
    import('../../core/module/index.js'),
  ]);
  // Edged always passes both; only a mapper started by hand reads the schema's defaults (the
  // configuration module costs a mapper about 2 MB of RSS, so it is not loaded otherwise).
  const defaults =
    opts.bufferBytes === undefined || opts.offlinePollMs === undefined
      ? (await import('../../core/config/index.js')).mapperDefaults()
      : undefined;
  const unknown = opts.protocol.filter((p) => !DRIVER_PROTOCOLS.includes(p));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown protocol ${unknown.join(', ')} (known: ${DRIVER_PROTOCOLS.join(', ')})`);
  if (!opts.dmi && !opts.mqttUrl)
    throw new InvalidArgumentError('give --mqtt-url (the edge broker), or --dmi to use the edge DMI socket instead');
  if (opts.dmi && opts.mqttUrl) throw new InvalidArgumentError('give either --mqtt-url or --dmi, not both');
  const name = opts.name ?? `${opts.node}-${opts.protocol.join('-')}`;
  // A mapper outlives a kill -9 of the edge that started it (the next edge process replaces it):
  // its output pipes then have no reader, and Node ends a process whose stdout/stderr write fails
  // with EPIPE. The first log line after the edge died (its broker is gone too) did exactly that.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  const logger = createLogger({ level: opts.logLevel as 'info', name: `kedge-mapper-${name}` });
  // Read by the edge (pushed) or a scraper: kedge's light registry (prom-client with node:http
  // cost a mapper 2-4 MB, bench/RESULTS.md "Mapper metrics"). Neither: nothing is even counted.
  const metrics =
    opts.metricsPort !== undefined || opts.metricsInterval > 0
      ? new LiteRegistry({ processMetrics: true }).asRegistry()
      : detachedRegistry();
  if (opts.dmi) {
    const { DmiMapperRuntime } = await import('../../../mappers/sdk/dmi/index.js');
    const dmi = new DmiMapperRuntime({
      name,
      node: opts.node,
      protocols: opts.protocol,
      dataDir: opts.dataDir,
      drivers: driverLoader,
      logger,
      clock: systemClock,
      metrics,
      ...(opts.dmiSocket ? { edgeSocket: opts.dmiSocket } : {}),
      ...(opts.mapperSocket ? { socket: opts.mapperSocket } : {}),
    });
    await dmi.start();
    logger.info({ name, protocols: opts.protocol, socket: dmi.socket, edge: dmi.edgeSocket }, 'DMI mapper running');
    await stopOnSignal(dmi, logger);
    return;
  }
  const runtime = new MapperRuntime({
    buffer: {
      bytes: opts.bufferBytes ?? defaults!.bufferBytes,
      offlinePollMs: opts.offlinePollMs ?? defaults!.offlinePollMs,
    },
    name,
    node: opts.node,
    protocols: opts.protocol,
    mqttUrl: opts.mqttUrl!,
    dataDir: opts.dataDir,
    drivers: driverLoader,
    logger,
    clock: systemClock,
    metrics,
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
    metricsPushMs: opts.metricsInterval,
  });
  await runtime.start();
  logger.info({ name, protocols: opts.protocol, metricsPort: runtime.metricsPort }, 'mapper running');
  await stopOnSignal(runtime, logger);
}
