import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './index.js';
import { mergeFamilies, parseExposition, withLabel, writeExposition } from './exposition.js';

async function page(build: (r: Registry) => void): Promise<string> {
  const r = new Registry();
  build(r);
  return r.metrics();
}

describe('Prometheus text exposition', () => {
  it('parses families with their HELP, TYPE and samples, histograms whole', async () => {
    const text = await page((r) => {
      new Counter({ name: 'a_total', help: 'A things', labelNames: ['k'], registers: [r] }).inc({ k: 'x' }, 2);
      new Histogram({ name: 'h_seconds', help: 'H', buckets: [0.1, 1], registers: [r] }).observe(0.5);
    });
    const fams = parseExposition(text);
    expect(fams.map((f) => [f.name, f.type])).toEqual([
      ['a_total', 'counter'],
      ['h_seconds', 'histogram'],
    ]);
    expect(fams[0]!.help).toBe('A things');
    expect(fams[0]!.samples).toEqual(['a_total{k="x"} 2']);
    expect(fams[1]!.samples).toHaveLength(5); // 3 buckets, sum, count
  });

  it('adds a label first, with or without labels already there, escaping the value', () => {
    expect(withLabel('m_total 3', 'mapper', 'a')).toBe('m_total{mapper="a"} 3');
    expect(withLabel('m_total{k="v"} 3', 'mapper', 'a')).toBe('m_total{mapper="a",k="v"} 3');
    expect(withLabel('m_total{} 3', 'mapper', 'a')).toBe('m_total{mapper="a"} 3');
    expect(withLabel('m 1', 'x', 'q"\\\n')).toBe('m{x="q\\"\\\\\\n"} 1');
  });

  it('merges the same family of two processes into one, told apart by a label', async () => {
    const edge = parseExposition(await createMetricsRegistry({ defaultMetrics: true }).metrics());
    const mapper = parseExposition(await createMetricsRegistry({ defaultMetrics: true }).metrics()).map((f) => ({
      ...f,
      samples: f.samples.map((s) => withLabel(s, 'mapper', 'm1')),
    }));
    const before = edge.find((f) => f.name === 'process_cpu_user_seconds_total')!.samples.length;
    mergeFamilies(edge, mapper);
    const text = writeExposition(edge);
    // One TYPE line per family, both processes' samples under it.
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    const merged = edge.find((f) => f.name === 'process_cpu_user_seconds_total')!;
    expect(merged.samples).toHaveLength(before * 2);
    expect(merged.samples.some((s) => s.startsWith('process_cpu_user_seconds_total{mapper="m1"} '))).toBe(true);
    // What was written parses back to the same families.
    expect(parseExposition(text).map((f) => f.name)).toEqual(edge.map((f) => f.name));
  });

  it('a family of the same name and another type is kept under a new name', () => {
    const into = parseExposition('# TYPE x gauge\nx 1\n');
    mergeFamilies(into, parseExposition('# TYPE x counter\nx{mapper="m"} 2\n'));
    expect(writeExposition(into)).toBe('# TYPE x gauge\nx 1\n\n# TYPE x_counter counter\nx_counter{mapper="m"} 2\n');
  });

  it('Node default metrics keep their standard names (no kedge_ prefix)', async () => {
    const names = parseExposition(await createMetricsRegistry({ defaultMetrics: true }).metrics()).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']));
    expect(names.filter((n) => n.startsWith('kedge_'))).toEqual([]);
  });
});
