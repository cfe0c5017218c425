import { describe, expect, it } from 'vitest';
import type { PropertyInstance } from '../../model/index.js';
import { plausible } from './plausible.js';

const prop = (type: PropertyInstance['type']) => ({ name: 'p', type }) as PropertyInstance;
const now = 1_700_000_000_000;
const bounds = { maxFutureMs: 300_000, maxAgeMs: 86_400_000 };
const reading = (value: number | string | null, ts: number) => ({ property: 'p', value, quality: 'good' as const, ts });

describe('plausible', () => {
  it('passes a reading within the bounds unchanged', () => {
    const r = reading(21.5, now - 1000);
    expect(plausible(r, prop('FLOAT'), now, bounds)).toBe(r);
  });

  it.each([
    ['1e300', 1e300, /not a time|ahead/],
    ['negative', -5, /not a time/],
    ['NaN', Number.NaN, /not a time/],
    ['10 minutes ahead', now + 600_000, /600000 ms ahead of the edge's clock \(edge.readings.maxFutureMs 300000\)/],
    ['two days old', now - 2 * 86_400_000, /172800000 ms old \(edge.readings.maxAgeMs 86400000\)/],
  ])('marks a timestamp %s bad, stamped now, with the reason', (_name, ts, reason) => {
    const out = plausible(reading(1, ts), prop('FLOAT'), now, bounds);
    expect(out).toMatchObject({ value: null, quality: 'bad', ts: now });
    expect(out.reason).toMatch(reason);
  });

  it('marks non-finite numbers and INT values a double does not hold exactly bad', () => {
    expect(plausible(reading(Number.POSITIVE_INFINITY, now), prop('FLOAT'), now, bounds)).toMatchObject({
      quality: 'bad',
      reason: 'value Infinity is not a finite number',
    });
    expect(plausible(reading(1e308, now), prop('INT'), now, bounds).reason).toMatch(
      /beyond what an INT property holds/,
    );
    expect(plausible(reading(-(2 ** 53), now), prop('INT'), now, bounds).quality).toBe('bad');
    expect(plausible(reading(154.3, now), prop('INT'), now, bounds).quality).toBe('good'); // a scaled register
    expect(plausible(reading(1e308, now), prop('FLOAT'), now, bounds).quality).toBe('good');
  });
});
