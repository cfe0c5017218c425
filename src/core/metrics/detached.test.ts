import { execFileSync } from 'node:child_process';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths/index.js';
import { counter, createMetricsRegistry, detachedRegistry, gauge, isDetached } from './index.js';

describe('metrics for a registry nobody reads', () => {
  it('counters and gauges of a detached registry are no-ops; on a real one they are prom-client metrics', async () => {
    const real = createMetricsRegistry();
    const off = detachedRegistry();
    expect(isDetached(off)).toBe(true);
    expect(isDetached(real)).toBe(false);
    for (const registry of [real, off]) {
      counter(registry, { name: 'x_total', help: 'x', labelNames: ['kind'] }).inc({ kind: 'a' }, 2);
      gauge(registry, { name: 'y', help: 'y' }).set(5);
    }
    expect(await real.metrics()).toContain('x_total{kind="a"} 2');
    expect(await real.metrics()).toContain('y 5');
    expect(await off.metrics()).toBe('');
  });

  it('a counter already in a registry is reused', () => {
    const real = createMetricsRegistry();
    const first = counter(real, { name: 'z_total', help: 'z' });
    expect(counter(real, { name: 'z_total', help: 'z' })).toBe(first);
  });

  it('a prom-client metric created directly against a detached registry still works', () => {
    const off = detachedRegistry();
    const c = new Counter({ name: 'direct_total', help: 'd', registers: [off] });
    c.inc();
    expect(off.getSingleMetric('direct_total')).toBe(c);
  });

  it('creating and using detached metrics does not load prom-client', () => {
    const script = `
      const m = await import('./src/core/metrics/index.ts');
      const r = m.detachedRegistry();
      m.counter(r, { name: 'a_total', help: 'a' }).inc();
      m.gauge(r, { name: 'b', help: 'b' }).set(1);
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
