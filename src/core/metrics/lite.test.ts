import { execFileSync } from 'node:child_process';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths/index.js';
import { counter, gauge, histogram, LiteRegistry, parseExposition } from './index.js';

/** The same metrics and operations, on any registry. */
async function exercise(registry: Registry): Promise<string> {
  const c = counter(registry, { name: 'ops_total', help: 'Ops "quoted" \\ done', labelNames: ['outcome'] });
  c.inc({ outcome: 'ok' });
  c.inc({ outcome: 'ok' }, 2.5);
  c.inc({ outcome: 'a"b\\c\nd' });
  const plain = counter(registry, { name: 'plain_total', help: 'p' });
  plain.inc(3);
  plain.inc();
  counter(registry, { name: 'never_total', help: 'n' });
  const g = gauge(registry, { name: 'level', help: 'l', labelNames: ['k'] });
  g.set({ k: 'a' }, 5);
  g.inc({ k: 'a' }, 2);
  g.dec({ k: 'a' });
  g.set({ k: 'b' }, Number.POSITIVE_INFINITY);
  gauge(registry, {
    name: 'collected',
    help: 'c',
    collect() {
      this.set(42);
    },
  });
  const h = histogram(registry, { name: 'took_seconds', help: 't', labelNames: ['p'], buckets: [0.1, 0.5, 1] });
  h.observe({ p: 'x' }, 0.05);
  h.observe({ p: 'x' }, 0.7);
  h.observe({ p: 'x' }, 3);
  h.observe({ p: 'y' }, 1);
  histogram(registry, { name: 'empty_seconds', help: 'e', buckets: [1] });
  return registry.metrics();
}

/** Families with their samples as sets (label order within a sample may differ). */
function normalized(text: string) {
  return parseExposition(text).map((f) => ({
    name: f.name,
    help: f.help,
    type: f.type,
    samples: f.samples
      .map((s) => {
        const m = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(s)!;
        const labels = (m[2] ?? '').match(/[a-z_]+="(?:[^"\\]|\\.)*"/g)?.sort() ?? [];
        return `${m[1]}{${labels.join(',')}} ${m[3]}`;
      })
      .sort(),
  }));
}

describe('LiteRegistry', () => {
  it('writes what prom-client writes for the same counters, gauges and histograms', async () => {
    const prom = await exercise(new Registry());
    const lite = await exercise(new LiteRegistry().asRegistry());
    expect(normalized(lite)).toEqual(normalized(prom));
  });

  it('renders prom-client metrics created directly against it', async () => {
    const lite = new LiteRegistry();
    new Counter({ name: 'direct_total', help: 'd', labelNames: ['x'], registers: [lite.asRegistry()] }).inc({ x: 'y' });
    expect(await lite.metrics()).toContain('direct_total{x="y"} 1');
  });

  it('has Node’s process metrics under their standard names, and refuses a name twice', async () => {
    const lite = new LiteRegistry({ processMetrics: true });
    const fams = normalized(await lite.metrics());
    const prom = normalized(
      await (await import('./index.js')).createMetricsRegistry({ defaultMetrics: true }).metrics(),
    );
    for (const f of fams) expect(prom.find((p) => p.name === f.name)?.type).toBe(f.type);
    expect(fams.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
      ]),
    );
    expect(
      Number(fams.find((f) => f.name === 'process_resident_memory_bytes')!.samples[0]!.split(' ')[1]),
    ).toBeGreaterThan(1e6);
    expect(
      () => new Counter({ name: 'process_cpu_seconds_total', help: 'again', registers: [lite.asRegistry()] }),
    ).toThrow(/already been registered/);
  });

  it('never loads prom-client', () => {
    const script = `
      const m = await import('./src/core/metrics/index.ts');
      const r = new m.LiteRegistry({ processMetrics: true }).asRegistry();
      m.counter(r, { name: 'a_total', help: 'a' }).inc();
      m.histogram(r, { name: 'h', help: 'h', buckets: [1] }).observe(2);
      await r.metrics();
      const { createRequire } = await import('node:module');
      const cache = createRequire(import.meta.url).cache;
      process.stdout.write(String(Object.keys(cache).some((k) => k.includes('prom-client'))));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: packageRoot(),
      encoding: 'utf8',
    });
    expect(out).toBe('false');
  });
});
