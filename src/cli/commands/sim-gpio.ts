import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runAction } from '../run-action.js';

const HELP = `
Simulated GPIO pins shared over a unix socket. This machine-independent stand-in exists because
development machines have no GPIO (and no gpio-sim kernel module); on a Raspberry Pi the mapper
drives the real pins with the sysfs backend. Point the mapper at the simulator with:
  KEDGE_GPIO_BACKEND=sim KEDGE_GPIO_SIM=<socket> kedge mapper --protocol gpio ...
With --model it lists the pins of the gpio Devices; inputs start low. --script drives inputs over
time, --jumper wires an output to an input (loopback). --toggle/--set talk to a running simulator.

Examples:
  kedge sim gpio --model device-models/hc-sr501-pir-motion-sensor.yaml --script "17:1@500,17:0@3000" --loop
  kedge sim gpio --model device-models/waveshare-rpi-relay-board.yaml --jumper 26:16
  kedge sim gpio --toggle 17            # flips input 17 of the running simulator
  kedge sim gpio --set 17=1
`;

export interface SimGpioOptions {
  model?: string[];
  socket?: string;
  script?: string;
  loop?: boolean;
  jumper?: string[];
  toggle?: number;
  set?: string;
}

function pin(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1023) throw new InvalidArgumentError(`expected a pin number, got ${text}`);
  return n;
}

export function registerSimGpio(sim: Command): void {
  sim
    .command('gpio')
    .description('Simulate GPIO pins for the gpio driver (KEDGE_GPIO_BACKEND=sim), drive inputs by script or command')
    .option('-m, --model <paths...>', 'Device/DeviceModel YAML files or folders (lists their pins)')
    .option('--socket <path>', 'control socket (default: $KEDGE_GPIO_SIM or <tmp>/kedge-gpio-sim.sock)')
    .option('--script <steps>', 'input changes over time, e.g. "17:1@500,17:0@1000" (pin:level@ms after start)')
    .option('--loop', 'repeat --script forever')
    .option('--jumper <out:in...>', 'wire an output pin to an input pin, e.g. 26:17')
    .option('--toggle <pin>', 'flip a pin of the running simulator and exit', pin)
    .option('--set <pin=level>', 'set a pin of the running simulator (e.g. 17=1) and exit')
    .addHelpText('after', HELP)
    .action(
      runAction('sim gpio', (opts: SimGpioOptions) => runSimGpio(opts, (line) => process.stdout.write(`${line}\n`))),
    );
}

export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  return env['KEDGE_GPIO_SIM'] ?? join(tmpdir(), 'kedge-gpio-sim.sock');
}

/** Serves until SIGINT/SIGTERM, or (--toggle/--set) changes one pin and returns; the exit code. */
export async function runSimGpio(opts: SimGpioOptions, write: (line: string) => void): Promise<number> {
  const socket = opts.socket ?? defaultSocket();
  if (opts.toggle !== undefined || opts.set !== undefined) return control(socket, opts, write);
  const [{ GpioSimServer, parseScript }, { stopOnSignal }, { createLogger }] = await Promise.all([
    import('../../../mappers/gpio/index.js'),
    import('../../core/module/index.js'),
    import('../../core/log/index.js'),
  ]);
  const steps = opts.script ? parseScript(opts.script) : [];
  const jumpers = (opts.jumper ?? []).map(parseJumper);
  if (opts.model) await listPins(opts.model, write);
  const server = new GpioSimServer({ socketPath: socket, jumpers });
  await server.start();
  write(`GPIO simulator on ${socket}`);
  write(`use it with: KEDGE_GPIO_BACKEND=sim KEDGE_GPIO_SIM=${socket}`);
  const timers: NodeJS.Timeout[] = [];
  const play = () => {
    for (const s of steps)
      timers.push(
        setTimeout(() => {
          server.set(s.pin, s.level);
          write(`pin ${s.pin} -> ${s.level}`);
        }, s.atMs),
      );
    const last = steps.at(-1);
    if (opts.loop && last) timers.push(setTimeout(play, Math.max(last.atMs, 1)));
  };
  play();
  await stopOnSignal(
    {
      stop: async () => {
        for (const t of timers) clearTimeout(t);
        await server.stop();
      },
    },
    createLogger({ level: 'warn', name: 'kedge-sim' }),
  );
  return 0;
}

function parseJumper(text: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`--jumper expects <out>:<in>, e.g. 26:17, got ${text}`);
  return [Number(m[1]), Number(m[2])];
}

async function control(socket: string, opts: SimGpioOptions, write: (line: string) => void): Promise<number> {
  const { SimClient } = await import('../../../mappers/gpio/index.js');
  const client = await SimClient.connect(socket);
  try {
    if (opts.toggle !== undefined) {
      write(`pin ${opts.toggle} -> ${await client.toggle(opts.toggle)}`);
    } else {
      const m = /^(\d+)=([01])$/.exec(opts.set ?? '');
      if (!m) throw new InvalidArgumentError(`--set expects <pin>=<0|1>, e.g. 17=1, got ${opts.set}`);
      await client.set(Number(m[1]), Number(m[2]) as 0 | 1);
      write(`pin ${m[1]} -> ${m[2]}`);
    }
  } finally {
    await client.dispose();
  }
  return 0;
}

async function listPins(files: string[], write: (line: string) => void): Promise<void> {
  const { validateFiles } = await import('../../model/index.js');
  const result = await validateFiles(files);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new InvalidArgumentError(
      `${errors.length} error(s) in ${files.join(', ')} (run kedge validate): ${errors[0]!.message}`,
    );
  for (const d of result.instances.filter((i) => i.protocol === 'gpio')) {
    for (const p of d.properties) {
      const v = p.visitor as { pin?: number; direction?: string; activeLow?: boolean };
      write(`${d.id} ${p.name}: pin ${v.pin} ${v.direction}${v.activeLow ? ' (activeLow)' : ''}`);
    }
  }
}
