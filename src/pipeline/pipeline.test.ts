import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKedgeError } from '../core/errors/index.js';
import { compilePipeline } from './pipeline.js';
import { createCounters, type CleansedReading, type RawSample, type RawValue } from './types.js';

const good = (value: RawValue, ts: number): RawSample => ({ value, quality: 'good', ts });
const bad = (ts: number, reason?: string): RawSample => ({
  value: null,
  quality: 'bad',
  ts,
  ...(reason ? { reason } : {}),
});

describe('input', () => {
  it('publishes the first reading as it is when there are no rules', () => {
    expect(compilePipeline({}).process(good(21.5, 1000))).toEqual({
      value: 21.5,
      quality: 'good',
      ts: 1000,
      reason: undefined,
      unit: undefined,
    });
  });

  it.each([NaN, Infinity, -Infinity])('turns %s into a bad reading with no value', (v) => {
    const o = compilePipeline({}).process(good(v, 0));
    expect(o).toMatchObject({ value: null, quality: 'bad', reason: `not a finite number (${v})` });
  });

  it('turns a null value into bad and keeps the reason of a bad input', () => {
    const p = compilePipeline({});
    expect(p.process(good(null, 0))).toMatchObject({ value: null, quality: 'bad', reason: 'no value' });
    expect(p.process(bad(1, 'modbus exception 2 (illegal data address)'))).toMatchObject({
      value: null,
      quality: 'bad',
      reason: 'modbus exception 2 (illegal data address)',
    });
  });

  it('keeps an uncertain input uncertain with its reason', () => {
    const o = compilePipeline({ convert: { scale: 2 } }).process({
      value: 1,
      quality: 'uncertain',
      ts: 0,
      reason: 'sensor warming up',
    });
    expect(o).toMatchObject({ value: 2, quality: 'uncertain', reason: 'sensor warming up' });
  });

  it('passes strings and booleans past the numeric stages', () => {
    const p = compilePipeline({
      range: { min: 0, max: 1, action: 'reject' },
      smoothing: { method: 'ema', alpha: 0.5 },
      convert: { scale: 10, unit: 'V' },
    });
    expect(p.process(good('RUN', 0))).toEqual({
      value: 'RUN',
      quality: 'good',
      ts: 0,
      reason: undefined,
      unit: undefined,
    });
    expect(p.process(good(true, 1))).toMatchObject({ value: true, quality: 'good' });
    expect(p.process(good(0.5, 2))).toMatchObject({ value: 5, unit: 'V' });
  });
});

describe('compilePipeline', () => {
  it('throws KEDGE_PIPELINE_INVALID_RULES naming the property and every problem', () => {
    let thrown: unknown;
    try {
      compilePipeline(
        { range: { min: 2, max: 1, action: 'reject' }, smoothing: { method: 'ema', alpha: 0.5, window: 3 } },
        { name: 'thermo-1/temperature' },
      );
    } catch (err) {
      thrown = err;
    }
    expect(isKedgeError(thrown) && thrown.code).toBe('KEDGE_PIPELINE_INVALID_RULES');
    expect((thrown as Error).message).toBe(
      'cleansing rules of thermo-1/temperature: range.min (2) must not be greater than range.max (1); ' +
        'window belongs to method movingAverage; method ema takes alpha',
    );
  });

  it('rejects schema errors too', () => {
    expect(() => compilePipeline({ deadband: { absolute: -1 } })).toThrow(
      /deadband.absolute: expected number to be greater or equal to 0/,
    );
  });

  it('is not affected by later changes to the rules object', () => {
    const rules = { convert: { scale: 2 } };
    const p = compilePipeline(rules);
    rules.convert.scale = 3;
    expect(p.process(good(1, 0))?.value).toBe(2);
    expect(p.rules.convert?.scale).toBe(2);
  });
});

describe('holdLast', () => {
  const rules = { holdLast: { staleAfterMs: 10_000 } };

  it('holds the last good value as uncertain on bad input and says why', () => {
    const p = compilePipeline(rules);
    p.process(good(20, 0));
    expect(p.process(bad(1000, 'timeout after 1000 ms'))).toEqual({
      value: 20,
      quality: 'uncertain',
      ts: 1000,
      reason: 'holding last good value: timeout after 1000 ms',
      unit: undefined,
    });
  });

  it('holds the converted value and also covers rejected readings', () => {
    const p = compilePipeline({ ...rules, range: { max: 100, action: 'reject' }, convert: { scale: 2, unit: 'x' } });
    p.process(good(10, 0));
    expect(p.process(good(500, 1000))).toMatchObject({
      value: 20,
      quality: 'uncertain',
      unit: 'x',
      reason: 'holding last good value: range: 500 above max 100',
    });
  });

  it('turns stale once the last good value is staleAfterMs old', () => {
    const p = compilePipeline(rules);
    p.process(good(20, 0));
    expect(p.process(bad(9_999))?.quality).toBe('uncertain');
    expect(p.process(bad(10_000, 'timeout'))).toMatchObject({
      value: 20,
      quality: 'stale',
      reason: 'last good value is 10000 ms old: timeout',
    });
  });

  it('holds strings too', () => {
    const p = compilePipeline(rules);
    p.process(good('RUN', 0));
    expect(p.process(bad(1))).toMatchObject({ value: 'RUN', quality: 'uncertain' });
  });

  it('has nothing to hold before the first good reading', () => {
    expect(compilePipeline(rules).process(bad(0, 'offline'))).toMatchObject({
      value: null,
      quality: 'bad',
      reason: 'offline',
    });
  });

  it('returns to good with the next good reading', () => {
    const p = compilePipeline({ ...rules, report: { onChange: true } });
    p.process(good(20, 0));
    p.process(bad(20_000));
    expect(p.process(good(20, 21_000))).toMatchObject({ value: 20, quality: 'good' });
  });
});

describe('deadband and report', () => {
  it('absolute: suppresses changes smaller than the band against the last reported value', () => {
    const p = compilePipeline({ deadband: { absolute: 0.5 } });
    const out = [10, 10.4, 10.49, 10.5, 10.1, 9.9].map((v, i) => p.process(good(v, i))?.value);
    expect(out).toEqual([10, undefined, undefined, 10.5, undefined, 9.9]);
  });

  it('percent: relative to the last reported value', () => {
    const p = compilePipeline({ deadband: { percent: 10 } });
    const out = [100, 109, 110, 120, 122, 110, 109.8].map((v, i) => p.process(good(v, i))?.value);
    expect(out).toEqual([100, undefined, 110, undefined, 122, undefined, 109.8]);
  });

  it('percent against zero: any change is reported, an unchanged zero is not', () => {
    const p = compilePipeline({ deadband: { percent: 5 } });
    const out = [0, 0, 1e-9, 1e-9, 0].map((v, i) => p.process(good(v, i))?.value);
    expect(out).toEqual([0, undefined, 1e-9, undefined, 0]);
  });

  it('onChange: publishes only changes, for strings and booleans too', () => {
    const p = compilePipeline({ report: { onChange: true } });
    const out = ['A', 'A', 'B', true, true, false, 1, 1].map((v, i) => p.process(good(v, i))?.value);
    expect(out).toEqual(['A', undefined, 'B', true, undefined, false, 1, undefined]);
  });

  it('deadband suppresses unchanged strings as well', () => {
    const p = compilePipeline({ deadband: { absolute: 1 } });
    expect(['A', 'A'].map((v, i) => p.process(good(v, i))?.value)).toEqual(['A', undefined]);
  });

  it('always reports a quality change, whatever the band', () => {
    const p = compilePipeline({ range: { max: 10, action: 'clamp' }, deadband: { absolute: 100 } });
    expect(p.process(good(5, 0))?.quality).toBe('good');
    expect(p.process(good(11, 1))).toMatchObject({ value: 10, quality: 'uncertain' });
    expect(p.process(good(9, 2))).toMatchObject({ value: 9, quality: 'good' });
  });

  it('suppresses repeated held values but reports the turn to stale', () => {
    const p = compilePipeline({ holdLast: { staleAfterMs: 1000 }, report: { onChange: true } });
    p.process(good(1, 0));
    expect(p.process(bad(100))?.quality).toBe('uncertain');
    expect(p.process(bad(200))).toBeUndefined();
    expect(p.process(bad(1000))?.quality).toBe('stale');
    expect(p.process(bad(1100))).toBeUndefined();
  });

  it('without report rules publishes every reading, unchanged or not', () => {
    const p = compilePipeline({});
    expect([1, 1].map((v, i) => p.process(good(v, i))?.value)).toEqual([1, 1]);
  });

  it('heartbeat: a suppressed value is published once maxSilenceMs passed since the last report', () => {
    const p = compilePipeline({ report: { onChange: true, maxSilenceMs: 5000 } });
    expect(p.process(good(7, 0))).toBeDefined();
    expect(p.process(good(7, 4999))).toBeUndefined();
    expect(p.process(good(7, 5000))).toMatchObject({ value: 7, ts: 5000 });
    expect(p.process(good(7, 6000))).toBeUndefined();
  });

  it('counts suppressed readings by reason', () => {
    const counters = createCounters();
    const p = compilePipeline({ deadband: { absolute: 1 } }, { counters });
    for (const [i, v] of [5, 5, 5.5, 7].entries()) p.process(good(v, i));
    expect(counters.suppressed).toEqual({ unchanged: 1, deadband: 1 });
    expect(counters.emitted).toBe(2);
    expect(counters.processed).toBe(4);
  });

  it('property: with deadband d consecutive reports differ by at least d, or are heartbeats', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 1, max: 3000 })), {
          maxLength: 80,
        }),
        (d, steps) => {
          const maxSilenceMs = 5000;
          const p = compilePipeline({ deadband: { absolute: d }, report: { maxSilenceMs } });
          let ts = 0;
          let previous: CleansedReading | undefined;
          for (const [v, dt] of steps) {
            ts += dt;
            const o = p.process(good(v, ts));
            if (!o) continue;
            if (previous) {
              const heartbeat = o.ts - previous.ts >= maxSilenceMs;
              if (!heartbeat)
                expect(Math.abs((o.value as number) - (previous.value as number))).toBeGreaterThanOrEqual(d);
            }
            previous = o;
          }
        },
      ),
    );
  });
});

describe('tick', () => {
  it('emits nothing before any reading and nothing without due work', () => {
    const p = compilePipeline({ holdLast: { staleAfterMs: 1000 }, report: { maxSilenceMs: 1000 } });
    expect(p.tick(1e9)).toBeUndefined();
    p.process(good(1, 0));
    expect(p.tick(999)).toBeUndefined();
  });

  it('heartbeat after silence: republishes the newest value, stamped now', () => {
    const p = compilePipeline({ deadband: { absolute: 1 }, report: { maxSilenceMs: 1000 } });
    p.process(good(10, 0));
    expect(p.process(good(10.5, 500))).toBeUndefined();
    expect(p.tick(999)).toBeUndefined();
    expect(p.tick(1000)).toEqual({ value: 10.5, quality: 'good', ts: 1000, reason: undefined, unit: undefined });
    expect(p.tick(1500)).toBeUndefined();
    expect(p.tick(2000)).toMatchObject({ value: 10.5, ts: 2000 });
  });

  it('stale after timeout: once, without new input, then the heartbeat keeps it stale', () => {
    const p = compilePipeline({ holdLast: { staleAfterMs: 10_000 }, report: { onChange: true, maxSilenceMs: 30_000 } });
    p.process(good(20, 0));
    expect(p.tick(9_999)).toBeUndefined();
    expect(p.tick(10_000)).toEqual({
      value: 20,
      quality: 'stale',
      ts: 10_000,
      reason: 'no good value for 10000 ms (holdLast.staleAfterMs 10000)',
      unit: undefined,
    });
    expect(p.tick(11_000)).toBeUndefined();
    expect(p.tick(40_000)).toMatchObject({ value: 20, quality: 'stale', ts: 40_000 });
  });

  it('stale after timeout when the readings since were all bad', () => {
    const p = compilePipeline({ holdLast: { staleAfterMs: 1000 } });
    p.process(good(3, 0));
    expect(p.process(bad(500))?.quality).toBe('uncertain');
    expect(p.tick(1000)?.quality).toBe('stale');
  });

  it('never turns stale without holdLast', () => {
    const p = compilePipeline({});
    p.process(good(3, 0));
    expect(p.tick(1e12)).toBeUndefined();
  });
});
