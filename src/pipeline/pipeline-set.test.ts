import { Registry, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { isKedgeError } from '../core/errors/index.js';
import { PipelineSet } from './pipeline-set.js';
import type { RawSample } from './types.js';

const good = (value: number, ts: number): RawSample => ({ value, quality: 'good', ts });

describe('PipelineSet', () => {
  it('keeps the properties of devices apart', () => {
    const set = new PipelineSet();
    set.configure('a', 'temperature', { convert: { scale: 10 } });
    set.configure('b', 'temperature', { convert: { scale: 100 } });
    set.configure('a', 'humidity', {});
    expect(set.process('a', 'temperature', good(1, 0))?.value).toBe(10);
    expect(set.process('b', 'temperature', good(1, 0))?.value).toBe(100);
    expect(set.process('a', 'humidity', good(1, 0))?.value).toBe(1);
  });

  it('throws KEDGE_PIPELINE_UNKNOWN_PROPERTY for an unconfigured property', () => {
    const set = new PipelineSet();
    set.configure('a', 'temperature', {});
    let thrown: unknown;
    try {
      set.process('a', 'pressure', good(1, 0));
    } catch (err) {
      thrown = err;
    }
    expect(isKedgeError(thrown) && thrown.code).toBe('KEDGE_PIPELINE_UNKNOWN_PROPERTY');
    expect((thrown as Error).message).toBe('no cleansing pipeline for a/pressure');
  });

  it('names device and property when the rules are invalid, and keeps the old pipeline', () => {
    const set = new PipelineSet();
    set.configure('a', 't', { convert: { scale: 2 } });
    expect(() => set.configure('a', 't', { spike: { maxStep: 0 } })).toThrow(/^cleansing rules of a\/t: spike.maxStep/);
    expect(set.process('a', 't', good(1, 0))?.value).toBe(2);
  });

  it('remove drops a whole device or one property', () => {
    const set = new PipelineSet();
    set.configure('a', 't', {});
    set.configure('a', 'h', {});
    set.configure('b', 't', {});
    set.remove('a', 'h');
    expect([set.has('a', 't'), set.has('a', 'h')]).toEqual([true, false]);
    set.remove('a');
    expect([set.has('a', 't'), set.has('b', 't')]).toEqual([false, true]);
    expect(() => set.process('a', 't', good(1, 0))).toThrow(/no cleansing pipeline for a\/t/);
  });

  it('reconfiguring keeps the state the new rules can use', () => {
    const set = new PipelineSet();
    set.configure('a', 't', { holdLast: { staleAfterMs: 10_000 } });
    set.process('a', 't', good(42, 0));
    set.configure('a', 't', { holdLast: { staleAfterMs: 10_000 }, report: { onChange: true } });
    expect(set.process('a', 't', good(42, 1))).toBeUndefined();
    expect(set.process('a', 't', { value: null, quality: 'bad', ts: 2 })).toMatchObject({
      value: 42,
      quality: 'uncertain',
    });
  });

  it('tick reports which property each heartbeat or staleness belongs to', () => {
    const set = new PipelineSet();
    set.configure('a', 't', { holdLast: { staleAfterMs: 1000 } });
    set.configure('b', 'h', { report: { onChange: true, maxSilenceMs: 5000 } });
    set.configure('c', 'p', {});
    set.process('a', 't', good(1, 0));
    set.process('b', 'h', good(2, 0));
    set.process('c', 'p', good(3, 0));
    expect(set.tick(999)).toEqual([]);
    expect(set.tick(1000)).toEqual([
      { deviceId: 'a', property: 't', reading: expect.objectContaining({ value: 1, quality: 'stale' }) },
    ]);
    expect(set.tick(5000)).toEqual([
      { deviceId: 'b', property: 'h', reading: expect.objectContaining({ value: 2, quality: 'good', ts: 5000 }) },
    ]);
  });

  it('snapshot / restore of all pipelines, keyed deviceId/property, through JSON', () => {
    const rules = { smoothing: { method: 'ema' as const, alpha: 0.5 } };
    const set = new PipelineSet();
    set.configure('a', 't', rules);
    set.configure('b', 't', rules);
    set.process('a', 't', good(10, 0));
    set.process('b', 't', good(20, 0));
    const saved = JSON.parse(JSON.stringify(set.snapshot()));
    expect(Object.keys(saved).sort()).toEqual(['a/t', 'b/t']);

    const fresh = new PipelineSet();
    fresh.configure('a', 't', rules);
    fresh.configure('b', 't', rules);
    expect(fresh.restore({ ...saved, 'gone/x': saved['a/t'] })).toEqual(['gone/x']);
    expect(fresh.process('a', 't', good(20, 1))?.value).toBe(15);
    expect(fresh.process('b', 't', good(40, 1))?.value).toBe(30);
  });

  it('counts rejected, clamped, held and suppressed readings per reason across pipelines', () => {
    const set = new PipelineSet();
    set.configure('a', 't', {
      range: { min: 0, max: 10, action: 'reject' },
      spike: { maxStep: 5 },
      holdLast: { staleAfterMs: 1000 },
    });
    set.configure('b', 't', {
      range: { min: 0, max: 10, action: 'clamp' },
      rateOfChange: { maxPerSecond: 1 },
      report: { onChange: true },
    });
    set.process('a', 't', good(5, 0));
    set.process('a', 't', good(11, 1)); // range
    set.process('a', 't', good(0, 2)); // spike? |0-5| = 5, accepted
    set.process('a', 't', good(9, 3)); // spike: 9 from 0
    set.process('a', 't', good(Number.NaN, 4));
    set.process('a', 't', { value: null, quality: 'bad', ts: 5 });
    set.process('b', 't', good(-1, 0)); // clamped to 0
    set.process('b', 't', good(20, 1000)); // clamped to 10, then 10/s: rejected
    set.process('b', 't', good(0.5, 2000)); // good
    set.process('b', 't', good(0.5, 3000)); // unchanged
    expect(set.counters).toEqual({
      processed: 10,
      emitted: 9,
      heartbeats: 0,
      suppressed: { unchanged: 1, deadband: 0 },
      rejected: { badInput: 1, noValue: 0, notFinite: 1, range: 1, spike: 1, rateOfChange: 1 },
      clamped: { min: 1, max: 1 },
      held: 4,
      stale: 0,
    });
  });

  it('exposes the counters on the registry it is given, never on the global one', async () => {
    const registry = new Registry();
    const set = new PipelineSet({ registry });
    set.configure('a', 't', { range: { max: 1, action: 'reject' } });
    set.process('a', 't', good(2, 0));
    set.process('a', 't', good(0, 1));
    const text = await registry.metrics();
    expect(text).toContain('kedge_pipeline_readings_total{outcome="processed",reason=""} 2');
    expect(text).toContain('kedge_pipeline_readings_total{outcome="rejected",reason="range"} 1');
    expect(text).toContain('kedge_pipeline_readings_total{outcome="emitted",reason=""} 2');
    expect(await globalRegistry.metrics()).not.toContain('kedge_pipeline');
    set.process('a', 't', good(5, 2));
    expect(await registry.metrics()).toContain('kedge_pipeline_readings_total{outcome="rejected",reason="range"} 2');
  });

  it('throws KEDGE_PIPELINE_METRICS when a registry already has the pipeline metrics', () => {
    const registry = new Registry();
    new PipelineSet({ registry });
    expect(() => new PipelineSet({ registry })).toThrow(/cannot register pipeline metrics/);
  });
});
