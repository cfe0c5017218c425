import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CleansingRules } from '../model/cleansing/index.js';
import { compilePipeline } from './pipeline.js';
import type { CleansedReading, RawSample } from './types.js';

const good = (value: number, ts: number): RawSample => ({ value, quality: 'good', ts });

/** Feeds numbers 1 s apart and returns the outputs (undefined where suppressed). */
function feed(rules: CleansingRules, values: number[]): (CleansedReading | undefined)[] {
  const p = compilePipeline(rules);
  return values.map((v, i) => p.process(good(v, i * 1000)));
}
const valuesOf = (out: (CleansedReading | undefined)[]): unknown[] => out.map((o) => o?.value);
const qualitiesOf = (out: (CleansedReading | undefined)[]): unknown[] => out.map((o) => o?.quality);

describe('range', () => {
  it('rejects values outside [min, max] as bad, bounds inclusive', () => {
    const out = feed({ range: { min: -40, max: 125, action: 'reject' } }, [-40, 125, 125.5, -41, 20]);
    expect(qualitiesOf(out)).toEqual(['good', 'good', 'bad', 'bad', 'good']);
    expect(valuesOf(out)).toEqual([-40, 125, null, null, 20]);
    expect(out[2]?.reason).toBe('range: 125.5 above max 125');
    expect(out[3]?.reason).toBe('range: -41 below min -40');
  });

  it('clamps to the nearest bound with quality uncertain and says what was read', () => {
    const out = feed({ range: { min: 0, max: 10, action: 'clamp' } }, [12, -3, 5]);
    expect(out).toEqual([
      { value: 10, quality: 'uncertain', ts: 0, reason: 'clamped to max 10 (read 12)', unit: undefined },
      { value: 0, quality: 'uncertain', ts: 1000, reason: 'clamped to min 0 (read -3)', unit: undefined },
      { value: 5, quality: 'good', ts: 2000, reason: undefined, unit: undefined },
    ]);
  });

  it('works with one bound only', () => {
    expect(valuesOf(feed({ range: { max: 1, action: 'clamp' } }, [-1e9, 1e9]))).toEqual([-1e9, 1]);
  });

  it('property: with only range clamp every output lies in [min, max]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 50 }),
        (min, span, values) => {
          const max = min + span;
          for (const o of feed({ range: { min, max, action: 'clamp' } }, values)) {
            expect(o).toBeDefined();
            expect(o!.value as number).toBeGreaterThanOrEqual(min);
            expect(o!.value as number).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});

describe('spike', () => {
  it('accepts the first reading, rejects a single jump above maxStep, keeps the last good as reference', () => {
    const out = feed({ spike: { maxStep: 10 } }, [20, 30, 45, 29, 38, 48.5]);
    expect(qualitiesOf(out)).toEqual(['good', 'good', 'bad', 'good', 'good', 'bad']);
    expect(out[2]?.reason).toBe('spike: 45 is 15 from the last good 30 (maxStep 10)');
    // Numbers as a person writes them, whatever the binary arithmetic made of them.
    expect(feed({ spike: { maxStep: 20 } }, [230.4, 288])[1]?.reason).toBe(
      'spike: 288 is 57.6 from the last good 230.4 (maxStep 20)',
    );
  });

  it('accepts a new level once a second reading confirms it', () => {
    const out = feed({ spike: { maxStep: 5 } }, [0, 100, 101, 102]);
    expect(qualitiesOf(out)).toEqual(['good', 'bad', 'good', 'good']);
    expect(valuesOf(out)).toEqual([0, null, 101, 102]);
  });

  it('rejects two spikes in a row that disagree with each other', () => {
    expect(qualitiesOf(feed({ spike: { maxStep: 5 } }, [0, 100, -100, 1]))).toEqual(['good', 'bad', 'bad', 'good']);
  });
});

describe('rateOfChange', () => {
  it('rejects a change faster than maxPerSecond against the last accepted value', () => {
    const p = compilePipeline({ rateOfChange: { maxPerSecond: 2 } });
    expect(p.process(good(10, 0))?.quality).toBe('good');
    expect(p.process(good(12, 1000))?.quality).toBe('good'); // exactly 2/s
    const fast = p.process(good(15, 2000));
    expect(fast?.quality).toBe('bad');
    expect(fast?.reason).toBe('rateOfChange: 3/s from the last good 12 (maxPerSecond 2)');
    // against the last accepted value (12 at t=1000): 3 in 2 s is 1.5/s
    expect(p.process(good(15, 3000))?.quality).toBe('good');
  });

  it('lets a reading through that is not newer than the reference (rate undefined)', () => {
    const p = compilePipeline({ rateOfChange: { maxPerSecond: 1 } });
    p.process(good(0, 5000));
    expect(p.process(good(100, 5000))?.quality).toBe('good');
  });
});

describe('smoothing', () => {
  it('movingAverage averages what it has while the window fills, then the last `window` values', () => {
    const out = feed({ smoothing: { method: 'movingAverage', window: 3 } }, [3, 6, 9, 12, 0]);
    expect(valuesOf(out)).toEqual([3, 4.5, 6, 9, 7]);
  });

  it('movingAverage keeps rejected readings out of the window', () => {
    const out = feed(
      { range: { max: 100, action: 'reject' }, smoothing: { method: 'movingAverage', window: 2 } },
      [10, 1000, 20],
    );
    expect(valuesOf(out)).toEqual([10, null, 15]);
  });

  it('movingAverage stays exact over many laps of the ring (no running-sum drift)', () => {
    const p = compilePipeline({ smoothing: { method: 'movingAverage', window: 4 } });
    let last: CleansedReading | undefined;
    for (let i = 0; i < 100_000; i++) last = p.process(good(i % 2 === 0 ? 0.1 : 1e6 + 0.3, i));
    for (let i = 0; i < 4; i++) last = p.process(good(0.1, 100_000 + i));
    expect(last?.value).toBe(0.1);
  });

  it('ema starts at the first value and weights the newest by alpha', () => {
    expect(valuesOf(feed({ smoothing: { method: 'ema', alpha: 0.5 } }, [10, 20, 20]))).toEqual([10, 15, 17.5]);
  });

  it('ema with alpha 1 passes values unchanged', () => {
    const values = [1.1, -7, 3e8, 0.3];
    expect(valuesOf(feed({ smoothing: { method: 'ema', alpha: 1 } }, values))).toEqual(values);
  });
});

describe('convert', () => {
  it('applies scale and offset after smoothing and publishes the unit', () => {
    const out = feed(
      { smoothing: { method: 'movingAverage', window: 2 }, convert: { scale: 1.8, offset: 32, unit: 'degF' } },
      [0, 100],
    );
    expect(out.map((o) => [o?.value, o?.unit])).toEqual([
      [32, 'degF'],
      [122, 'degF'],
    ]);
  });

  it('defaults the offset to 0', () => {
    expect(valuesOf(feed({ convert: { scale: 0.1 } }, [250]))).toEqual([25]);
  });

  it('turns an overflowing result into a bad reading instead of publishing Infinity', () => {
    const [o] = feed({ convert: { scale: 1e300 } }, [1e300]);
    expect(o?.quality).toBe('bad');
    expect(o?.value).toBeNull();
    expect(o?.reason).toMatch(/not finite/);
  });
});

describe('stage order', () => {
  it('runs range before spike and deadband on converted values', () => {
    // clamp 200 -> 100 first, so the spike check sees 100 (a step of 10) and accepts it
    const out = feed(
      {
        range: { max: 100, action: 'clamp' },
        spike: { maxStep: 10 },
        convert: { scale: 10 },
        deadband: { absolute: 50 },
      },
      [90, 200, 97, 96],
    );
    expect(out.map((o) => o && [o.value, o.quality])).toEqual([
      [900, 'good'],
      [1000, 'uncertain'],
      [970, 'good'],
      undefined,
    ]);
  });
});
