/**
 * The typed bus on the edge's hot path: a reading batch published on `device.readings`, whose
 * handler (the pipeline) publishes `device.cleansed` to three subscribers (twin, outbox, EventBus),
 * as one MQTT data update does. Compares this tree's Bus with the Bus of a git revision (default:
 * the one before #16 closed the maps and added the boundary-channel guard), alternating rounds in
 * one process so both see the same machine.
 *
 *   npx tsx bench/bus.bench.ts [publishes=2000000] [--base <git-rev>] [--write]
 */
import { execSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../src/core/bus/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { writeResultsSubsection } from './results-file.js';

type Channels = {
  'device.readings': { deviceId: string; n: number };
  'device.cleansed': { deviceId: string; n: number };
};
interface AnyBus {
  subscribe(channel: string, endpoint: { name: string; group: string }, handler: (p: never) => void): () => void;
  publish(channel: string, payload: unknown): number;
}

const args = process.argv.slice(2);
const publishes = Number(args.find((a) => /^\d+$/.test(a)) ?? 2_000_000);
const baseAt = args.indexOf('--base');
const base = baseAt >= 0 ? args[baseAt + 1]! : '1d84034';
const root = join(import.meta.dirname, '..');
const ROUNDS = 9;

/** The bus.ts of `rev`, loaded from beside the current one so that its relative imports resolve. */
async function baselineBus(rev: string): Promise<new (o: { logger: ReturnType<typeof silentLogger> }) => AnyBus> {
  const file = join(root, 'src/core/bus/bus.baseline.tmp.ts');
  writeFileSync(file, execSync(`git show ${rev}:src/core/bus/bus.ts`, { cwd: root }));
  try {
    return (await import(file)).Bus;
  } finally {
    unlinkSync(file);
  }
}

function wire(bus: AnyBus): { sink: number } {
  const state = { sink: 0 };
  const ep = (name: string) => ({ name, group: name });
  bus.subscribe('device.readings', ep('pipeline'), (e: Channels['device.readings']) => {
    bus.publish('device.cleansed', e);
  });
  for (const name of ['twin', 'outbox', 'eventbus'])
    bus.subscribe('device.cleansed', ep(name), (e: Channels['device.cleansed']) => {
      state.sink += e.n;
    });
  return state;
}

/**
 * CPU time (user + system) per outer publish, not wall time: on a shared, loaded machine the
 * process is descheduled for a varying share of a round, which wall time would count.
 */
function round(bus: AnyBus): number {
  const payload = { deviceId: 'default/d1', n: 1 };
  const t0 = process.cpuUsage();
  for (let i = 0; i < publishes; i++) bus.publish('device.readings', payload);
  const used = process.cpuUsage(t0);
  return ((used.user + used.system) * 1000) / publishes;
}

const Old = await baselineBus(base);
const buses = {
  [`Bus at ${base}`]: new Old({ logger: silentLogger() }),
  'Bus now': new Bus<Channels>({ logger: silentLogger(), boundaryChannels: ['device.readings'] }) as unknown as AnyBus,
};
const sinks = Object.values(buses).map(wire);
for (const bus of Object.values(buses)) round(bus); // warm-up: both optimized before measuring
const times = new Map<string, number[]>(Object.keys(buses).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, bus] of Object.entries(buses)) times.get(name)!.push(round(bus));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines = [...times].map(
  ([name, xs]) =>
    `- ${name}: median ${median(xs).toFixed(1)} ns CPU per outer publish, fastest ${Math.min(...xs).toFixed(1)} (${ROUNDS} rounds: ${xs.map((x) => x.toFixed(1)).join(', ')})`,
);
if (sinks.some((s) => s.sink === 0)) throw new Error('a bus delivered nothing');
const text = [
  `One \`device.readings\` publish whose handler publishes \`device.cleansed\` to three subscribers (what one MQTT data update costs the bus), ${publishes.toLocaleString('en-US')} publishes per round, the two buses in alternating rounds in one process; CPU time of the process (user + system) per round.`,
  '',
  `- command: \`npx tsx bench/bus.bench.ts ${publishes} --base ${base}\``,
  ...lines,
  `- machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(1)} at the end`,
].join('\n');
console.log(text);
if (args.includes('--write'))
  writeResultsSubsection('## Bus', 'bench/bus.bench.ts', 'Edge hot path: one data update', text);
