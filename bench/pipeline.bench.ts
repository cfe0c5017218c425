/**
 * Cleansing pipeline throughput: a five-stage pipeline (range, spike, smoothing, deadband, holdLast)
 * on 1,000 properties, readings interleaved across properties as a poller delivers them.
 *
 *   npx tsx bench/pipeline.bench.ts [readingsPerProperty=2000] [--write]
 *
 * `--write` puts the figures into the `## Cleansing pipeline` section of bench/RESULTS.md.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { execSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PipelineSet, type RawSample } from '../src/pipeline/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void; // a full collection before each heap reading

const PROPERTIES = 1000;
const DEVICES = 100;
const perProperty = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);
const write = process.argv.includes('--write');

/** Noisy sine with 1 % spikes and 0.5 % bad readings, precomputed so generation is not measured. */
function signal(length: number): { values: Float64Array; bad: Uint8Array } {
  const values = new Float64Array(length);
  const bad = new Uint8Array(length);
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < length; i++) {
    values[i] = 20 + 10 * Math.sin(i / 50) + (rnd() - 0.5) * 0.4 + (rnd() < 0.01 ? 40 : 0);
    bad[i] = rnd() < 0.005 ? 1 : 0;
  }
  return { values, bad };
}

function build(): PipelineSet {
  const set = new PipelineSet();
  for (let p = 0; p < PROPERTIES; p++) {
    set.configure(`device-${p % DEVICES}`, `property-${Math.floor(p / DEVICES)}`, {
      range: { min: -40, max: 125, action: 'reject' },
      spike: { maxStep: 10 },
      smoothing: { method: 'movingAverage', window: 5 },
      deadband: { absolute: 0.2 },
      holdLast: { staleAfterMs: 10_000 },
    });
  }
  return set;
}

function run(set: PipelineSet, readings: number, sig: { values: Float64Array; bad: Uint8Array }): number {
  const devices = Array.from({ length: PROPERTIES }, (_, p) => `device-${p % DEVICES}`);
  const properties = Array.from({ length: PROPERTIES }, (_, p) => `property-${Math.floor(p / DEVICES)}`);
  const mask = sig.values.length - 1;
  const raw: RawSample = { value: 0, quality: 'good', ts: 0 };
  let emitted = 0;
  for (let r = 0; r < readings; r++) {
    for (let p = 0; p < PROPERTIES; p++) {
      const k = (r + p * 7) & mask;
      raw.value = sig.values[k]!;
      raw.quality = sig.bad[k] === 1 ? 'bad' : 'good';
      raw.ts = r * 1000;
      if (set.process(devices[p]!, properties[p]!, raw) !== undefined) emitted++;
    }
  }
  return emitted;
}

const sig = signal(1 << 16);
/** Warm-up in its own function, so that no interpreter register keeps its pipelines alive. */
function warmUp(): void {
  run(build(), 200, sig); // let V8 optimize before measuring
}
warmUp();
gc();
const heapEmpty = process.memoryUsage().heapUsed;
const set = build();
gc();
const heapBuilt = process.memoryUsage().heapUsed;
const start = process.hrtime.bigint();
const emitted = run(set, perProperty, sig);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const heapPeak = process.memoryUsage().heapUsed;
gc();
const heapAfter = process.memoryUsage().heapUsed;
const total = PROPERTIES * perProperty;
/** Two more rounds on fresh pipelines, to show the run-to-run spread. */
function round(): number {
  const fresh = build();
  const t0 = process.hrtime.bigint();
  run(fresh, perProperty, sig);
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}
const rates = [total / seconds, round(), round()].sort((a, b) => a - b);
const rate = rates[1]!;
const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en')}k`;

const cpu = (
  readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ??
  cpus()[0]?.model ??
  'unknown'
).trim();
const nproc = execSync('nproc').toString().trim();
const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
const lines = [
  `readings: ${total.toLocaleString('en')} (${PROPERTIES} properties x ${perProperty}), emitted ${emitted.toLocaleString('en')}`,
  `throughput: ${Math.round(rate).toLocaleString('en')} readings/s on one core (${(1e9 / rate).toFixed(0)} ns/reading; ` +
    `median of 3 rounds, ${k(rates[0]!)}..${k(rates[2]!)})`,
  `heap used: ${mb(heapBuilt)} MB with the pipelines built (${((heapBuilt - heapEmpty) / PROPERTIES / 1024).toFixed(1)} KB per property), ` +
    `${mb(heapPeak)} MB at the end of the run before collection, ${mb(heapAfter)} MB after (state does not grow)`,
  `node ${process.version}, ${nproc} cores, ${cpu}`,
];
console.log(lines.join('\n'));

if (write) {
  const path = new URL('./RESULTS.md', import.meta.url);
  const section = [
    '## Cleansing pipeline',
    '',
    'Five stages per property (range reject, spike, movingAverage window 5, deadband absolute, holdLast),',
    '1,000 properties on 100 devices, readings interleaved across properties through `PipelineSet.process`',
    '(noisy sine, 1 % spikes, 0.5 % bad readings). One thread, so the figure is per core.',
    '',
    `- command: \`npx tsx bench/pipeline.bench.ts ${perProperty}\``,
    ...lines.map((l) => `- ${l}`),
    `- measured: ${new Date().toISOString().slice(0, 10)}`,
    '',
  ].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const re = /## Cleansing pipeline\n[\s\S]*?(?=\n## |$)/;
  const next = re.test(old) ? old.replace(re, `${section.trimEnd()}\n`) : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(path, next);
  console.log('written to bench/RESULTS.md');
}
