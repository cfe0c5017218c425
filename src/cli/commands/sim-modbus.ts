import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';
import { integer, rate } from '../option-parsers.js';
import { portInUse, type PortSetting } from '../port-in-use.js';

const SIM_PORTS: readonly PortSetting[] = [
  { path: ['tcp'], flag: '--tcp', what: 'Modbus TCP' },
  { path: ['rtuOverTcp'], flag: '--rtu-over-tcp', what: 'Modbus RTU over TCP' },
];

const HELP = `
Serves every Modbus device of the given Device/DeviceModel YAML (checked like kedge validate) as
a Modbus slave: each device is a unit (its slaveID) with its properties at their registers,
encoded as the mapper decodes them. Writable properties hold their value (writes stick); read-only
numbers move through the model's minimum..maximum. Devices sharing a slaveID share one unit.
Prints where it listens; on SIGINT/SIGTERM prints the requests it got per unit and function code.

Examples:
  kedge sim modbus --model device-models/eastron-sdm120.yaml --tcp 5020
  kedge sim modbus --model device-models/ --tcp 0 --fault-timeout-rate 0.05 --swap-words
  kedge sim modbus --model device-models/ --tcp 0 --strict-addresses   # merged reads over gaps get exception 2
  kedge sim modbus --model device-models/eastron-sdm120.yaml --tcp 5020 --spike default/sdm120-kitchen-circuit:voltage
  socat -d -d pty,raw,echo=0 pty,raw,echo=0 &      # prints two /dev/pts paths
  kedge sim modbus --model device-models/generic-xy-md02.yaml --rtu /dev/pts/3 --baud 9600
`;

export interface SimModbusOptions {
  model: string[];
  tcp?: number;
  rtu?: string;
  rtuOverTcp?: number;
  host: string;
  baud: number;
  faultTimeoutRate?: number;
  faultExceptionRate?: number;
  exceptionCode?: number;
  swapWords?: boolean;
  strictAddresses?: boolean;
  slowMs?: number;
  spike?: string[];
  spikeEvery: number;
  seed: number;
}

export function registerSimModbus(sim: Command): void {
  sim
    .command('modbus')
    .description('Simulate the Modbus devices of Device/DeviceModel YAML over TCP or a serial line (RTU)')
    .requiredOption('-m, --model <paths...>', 'Device/DeviceModel YAML files or folders')
    .option('--tcp <port>', 'serve Modbus TCP on this port (0 = any free port)', integer(0, 65535))
    .option('--rtu <path>', 'serve Modbus RTU on this serial device (e.g. one end of a socat pty pair)')
    .option(
      '--rtu-over-tcp <port>',
      'serve raw RTU frames over TCP on this port (serial device servers)',
      integer(0, 65535),
    )
    .option('--host <address>', 'address to listen on for --tcp/--rtu-over-tcp', '127.0.0.1')
    .option('--baud <rate>', 'baud rate for --rtu', integer(50, 4_000_000), 9600)
    .option('--fault-timeout-rate <r>', 'probability 0..1 that a request gets no answer', rate)
    .option('--fault-exception-rate <r>', 'probability 0..1 that a request gets an exception', rate)
    .option('--exception-code <code>', 'exception code for --fault-exception-rate (default 4)', integer(1, 255))
    .option('--swap-words', 'answer register reads with each pair of words swapped (byte-order trouble)')
    .option(
      '--strict-addresses',
      'answer exception 2 (Illegal Data Address) to requests touching registers no property models, as real devices do',
    )
    .option('--slow-ms <ms>', 'delay every answer by this many milliseconds', integer(0, 600_000))
    .option(
      '--spike <ns/device:property>',
      'a surge on this property now and then: it reads 25 % high for 0.9 s (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--spike-every <s>', 'seconds between two glitches of --spike', integer(2, 86_400), 15)
    .option('--seed <n>', 'seed for faults and random values (a run replays exactly)', integer(0, 2 ** 31), 1)
    .addHelpText('after', HELP)
    .action(
      runAction('sim modbus', (opts: SimModbusOptions) =>
        runSimModbus(opts, (line) => process.stdout.write(`${line}\n`)),
      ),
    );
}

/** Validates, serves until SIGINT/SIGTERM, prints request counts; returns the exit code. */
export async function runSimModbus(opts: SimModbusOptions, write: (line: string) => void): Promise<number> {
  if (opts.tcp === undefined && opts.rtu === undefined && opts.rtuOverTcp === undefined) {
    throw new InvalidArgumentError('say where to serve: --tcp <port>, --rtu <path> or --rtu-over-tcp <port>');
  }
  const [
    { validateFiles },
    { formatDiagnostic },
    { simModelFromInstances, descriptionsOf, addSpikes, ModbusSim },
    { stopOnSignal },
    { createLogger },
  ] = await Promise.all([
    import('../../model/index.js'),
    import('../../core/yaml/index.js'),
    import('../../../mappers/modbus/sim/index.js'),
    import('../../core/module/index.js'),
    import('../../core/log/index.js'),
  ]);
  const result = await validateFiles(opts.model);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) write(formatDiagnostic(d));
  if (errors.length > 0) {
    write(`kedge sim modbus: ${errors.length} error(s) in the model files; fix them (kedge validate shows the same)`);
    return 1;
  }
  const model = simModelFromInstances(result.instances, descriptionsOf(result.models));
  if (model.devices.length === 0) {
    write(
      `kedge sim modbus: no Modbus Device in ${opts.model.join(', ')} (a Device with protocolName modbus and its DeviceModel are needed)`,
    );
    return 1;
  }
  for (const name of opts.spike ?? [])
    addSpikes(model, name, { everyMs: opts.spikeEvery * 1000, widthMs: 900, factor: 1.25 });
  const sim = new ModbusSim({ points: model.points, seed: opts.seed });
  sim.setFaults(faultsOf(opts));
  for (const d of model.devices) write(`unit ${d.unit}: ${d.id} (${d.points} points)`);
  try {
    if (opts.tcp !== undefined)
      write(`listening on modbus tcp ${address(await sim.listenTcp({ host: opts.host, port: opts.tcp }))}`);
    if (opts.rtuOverTcp !== undefined)
      write(
        `listening on rtu-over-tcp ${address(await sim.listenTcp({ host: opts.host, port: opts.rtuOverTcp, framing: 'rtu' }))}`,
      );
    if (opts.rtu !== undefined) {
      await sim.openSerial(opts.rtu, { baudRate: opts.baud });
      write(`listening on modbus rtu ${opts.rtu} at ${opts.baud} baud`);
    }
  } catch (err) {
    await sim.stop();
    throw portInUse(err, SIM_PORTS, opts, 'sim modbus') ?? err;
  }
  await stopOnSignal(sim, createLogger({ level: 'warn', name: 'kedge-sim' }));
  write('requests (unit: function code = count):');
  for (const [unit, byFc] of Object.entries(sim.counts())) {
    write(
      `  unit ${unit}: ${Object.entries(byFc)
        .map(([fc, n]) => `FC${fc}=${n}`)
        .join(' ')}`,
    );
  }
  return 0;
}

function address(a: { host: string; port: number }): string {
  return `${a.host}:${a.port}`;
}

function faultsOf(opts: SimModbusOptions) {
  return {
    ...(opts.faultTimeoutRate !== undefined ? { timeoutRate: opts.faultTimeoutRate } : {}),
    ...(opts.faultExceptionRate !== undefined ? { exceptionRate: opts.faultExceptionRate } : {}),
    ...(opts.exceptionCode !== undefined ? { exceptionCode: opts.exceptionCode } : {}),
    ...(opts.swapWords ? { swapWords: true } : {}),
    ...(opts.strictAddresses ? { strictAddresses: true } : {}),
    ...(opts.slowMs !== undefined ? { delayMs: opts.slowMs } : {}),
  };
}
