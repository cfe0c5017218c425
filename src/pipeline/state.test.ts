import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKedgeError } from '../core/errors/index.js';
import type { CleansingRules } from '../model/cleansing/index.js';
import { compilePipeline } from './pipeline.js';
import type { CleansedReading, RawSample } from './types.js';

const good = (value: number | string, ts: number): RawSample => ({ value, quality: 'good', ts });

const ruleSets: CleansingRules[] = [
  {
    range: { min: -100, max: 100, action: 'reject' },
    spike: { maxStep: 20 },
    smoothing: { method: 'movingAverage', window: 4 },
    deadband: { absolute: 1 },
    holdLast: { staleAfterMs: 3000 },
  },
  {
    range: { min: -50, max: 50, action: 'clamp' },
    rateOfChange: { maxPerSecond: 30 },
    smoothing: { method: 'ema', alpha: 0.3 },
    convert: { scale: 1.8, offset: 32, unit: 'degF' },
    deadband: { percent: 2 },
    report: { maxSilenceMs: 4000 },
    holdLast: { staleAfterMs: 5000 },
  },
  { report: { onChange: true, maxSilenceMs: 2000 }, holdLast: { staleAfterMs: 1000 } },
];

type Step = { kind: 'reading'; dt: number; raw: Omit<RawSample, 'ts'> } | { kind: 'tick'; dt: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('reading' as const),
    dt: fc.integer({ min: 0, max: 3000 }),
    raw: fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .double({ min: -150, max: 150, noNaN: true })
          .map((value) => ({ value, quality: 'good' as const })),
      },
      { weight: 1, arbitrary: fc.constant({ value: null, quality: 'bad' as const, reason: 'timeout' }) },
      { weight: 1, arbitrary: fc.constant({ value: Number.NaN, quality: 'good' as const }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('RUN', 'STOP').map((value) => ({ value, quality: 'uncertain' as const })),
      },
    ),
  }),
  fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 6000 }) }),
);

function play(
  p: ReturnType<typeof compilePipeline>,
  steps: Step[],
  start: number,
): { out: (CleansedReading | undefined)[]; ts: number } {
  let ts = start;
  const out = steps.map((s) => {
    ts += s.dt;
    return s.kind === 'tick' ? p.tick(ts) : p.process({ ...s.raw, ts });
  });
  return { out, ts };
}

describe('snapshot / restore', () => {
  it('property: a pipeline restored from a JSON snapshot behaves exactly like the original', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ruleSets),
        fc.array(step, { maxLength: 40 }),
        fc.array(step, { maxLength: 40 }),
        (rules, before, after) => {
          const original = compilePipeline(rules);
          const { ts } = play(original, before, 0);
          const restored = compilePipeline(rules);
          restored.restore(JSON.parse(JSON.stringify(original.snapshot())));
          // A snapshot is persisted as JSON, so compare it as JSON (where -0 is 0).
          expect(JSON.stringify(restored.snapshot())).toEqual(JSON.stringify(original.snapshot()));
          expect(play(restored, after, ts).out).toEqual(play(original, after, ts).out);
        },
      ),
    );
  });

  it('keeps the smoothing window, the last good value and the last report', () => {
    const p = compilePipeline({
      smoothing: { method: 'movingAverage', window: 3 },
      deadband: { absolute: 5 },
      holdLast: { staleAfterMs: 60_000 },
    });
    for (const [i, v] of [1, 2, 3, 4].entries()) p.process(good(v, i * 1000));
    const snap = p.snapshot();
    expect(snap).toMatchObject({
      window: [2, 3, 4],
      lastGood: { value: 3, ts: 3000 },
      lastReported: { value: 1, quality: 'good', ts: 0 },
    });
    const q = compilePipeline(p.rules);
    q.restore(snap);
    expect(q.process(good(20, 4000))?.value).toBe(9); // (3 + 4 + 20) / 3, reported: 8 away from 1
    expect(q.process({ value: null, quality: 'bad', ts: 5000 })).toMatchObject({ value: 9, quality: 'uncertain' });
  });

  it('keeps the newest values when the window shrinks and keeps filling when it grows', () => {
    const p = compilePipeline({ smoothing: { method: 'movingAverage', window: 4 } });
    for (const [i, v] of [1, 2, 3, 4].entries()) p.process(good(v, i));
    const shrunk = compilePipeline({ smoothing: { method: 'movingAverage', window: 2 } });
    shrunk.restore(p.snapshot());
    expect(shrunk.process(good(5, 10))?.value).toBe(4.5);
    const grown = compilePipeline({ smoothing: { method: 'movingAverage', window: 10 } });
    grown.restore(p.snapshot());
    expect(grown.process(good(5, 10))?.value).toBe(3);
  });

  it('drops held and reported values when the conversion changed (they are in other units)', () => {
    const p = compilePipeline({ convert: { scale: 1 }, holdLast: { staleAfterMs: 60_000 } });
    p.process(good(20, 0));
    const q = compilePipeline({ convert: { scale: 1.8, offset: 32 }, holdLast: { staleAfterMs: 60_000 } });
    q.restore(p.snapshot());
    expect(q.process({ value: null, quality: 'bad', ts: 1 })).toMatchObject({ value: null, quality: 'bad' });
    expect(q.snapshot().lastGood).toBeNull();
  });

  it('throws KEDGE_PIPELINE_BAD_SNAPSHOT naming the property and the field', () => {
    const p = compilePipeline({}, { name: 'pump-3/pressure' });
    const snap = { ...p.snapshot(), window: ['x'] };
    let thrown: unknown;
    try {
      p.restore(snap);
    } catch (err) {
      thrown = err;
    }
    expect(isKedgeError(thrown) && thrown.code).toBe('KEDGE_PIPELINE_BAD_SNAPSHOT');
    expect((thrown as Error).message).toMatch(/^pipeline snapshot of pump-3\/pressure: field \/window\/0: /);
    expect(() => p.restore({ ...p.snapshot(), version: 2 })).toThrow(/\/version/);
  });
});
