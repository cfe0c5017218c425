import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';
import { integer, rate } from '../option-parsers.js';

const HELP = `
Opens one end of a serial line and plays every serial device of the given Device/DeviceModel YAML
(checked like kedge validate): an NMEA GPS (framing nmea) streams GGA and RMC with valid checksums
while its position moves slowly; a line device answers its properties' commands (mode request) or
streams lines (mode stream) that its patterns read back as values inside minimum..maximum.
Fault injection: --bad-checksum-rate and --garbage-rate. If the line disappears (socat restarted)
the simulator reopens the same path. On SIGINT/SIGTERM it prints what it sent.

Examples:
  socat -d -d pty,raw,echo=0,link=/tmp/gps-sim pty,raw,echo=0,link=/tmp/gps &
  kedge sim serial --model device-models/u-blox-neo-6m.yaml --path /tmp/gps-sim
  # the Device's serialPort is /tmp/gps (the other end)
  kedge sim serial --model device-models/vaisala-hmp240.yaml --path /tmp/hmp-sim --garbage-rate 0.1
`;

export interface SimSerialOptions {
  model: string[];
  path?: string;
  port?: string;
  intervalMs: number;
  badChecksumRate?: number;
  garbageRate?: number;
  seed: number;
}

export function registerSimSerial(sim: Command): void {
  sim
    .command('serial')
    .description(
      'Simulate the serial devices (NMEA GPS, line-protocol sensors) of Device/DeviceModel YAML on a serial line',
    )
    .requiredOption('-m, --model <paths...>', 'Device/DeviceModel YAML files or folders')
    .option('--path <tty>', 'serial device to open (e.g. one end of a socat pty pair)')
    .option('--port <tty>', 'same as --path')
    .option('--interval-ms <ms>', 'period of streamed sentences/lines', integer(10, 3_600_000), 1000)
    .option('--bad-checksum-rate <r>', 'probability 0..1 that an NMEA sentence has a wrong checksum', rate)
    .option('--garbage-rate <r>', 'probability 0..1 that a garbage line precedes a frame', rate)
    .option('--seed <n>', 'seed for faults (a run replays exactly)', integer(0, 2 ** 31), 1)
    .addHelpText('after', HELP)
    .action(
      runAction('sim serial', (opts: SimSerialOptions) =>
        runSimSerial(opts, (line) => process.stdout.write(`${line}\n`)),
      ),
    );
}

/** Serves until SIGINT/SIGTERM, prints counts; returns the exit code. */
export async function runSimSerial(opts: SimSerialOptions, write: (line: string) => void): Promise<number> {
  const path = opts.path ?? opts.port;
  if (path === undefined) throw new InvalidArgumentError('say which serial device to open: --path <tty>');
  const [{ startSerialSim }, { stopOnSignal }, { createLogger }] = await Promise.all([
    import('../../../mappers/serial/sim/index.js'),
    import('../../core/module/index.js'),
    import('../../core/log/index.js'),
  ]);
  const faults = {
    ...(opts.badChecksumRate !== undefined ? { badChecksumRate: opts.badChecksumRate } : {}),
    ...(opts.garbageRate !== undefined ? { garbageRate: opts.garbageRate } : {}),
  };
  const sim = await startSerialSim({
    path,
    modelFiles: opts.model,
    intervalMs: opts.intervalMs,
    faults,
    seed: opts.seed,
  });
  for (const d of sim.devices) write(`${d.id}: ${d.kind === 'gps' ? 'NMEA GPS' : 'line device'} (${d.mode})`);
  write(`serial simulator on ${path}`);
  await stopOnSignal(sim, createLogger({ level: 'warn', name: 'kedge-sim' }));
  const s = sim.stats;
  write(
    `sent: ${s.sentences} NMEA sentences, ${s.lines} lines, ${s.answers} answers; injected: ${s.badChecksums} bad checksums, ${s.garbage} garbage lines`,
  );
  return 0;
}
