import type { PropertyInstance, PropertyValue } from '../../../src/model/index.js';
import { operatingBand } from '../../simulate/index.js';

/** Produces a property's next simulated value on each tick. */
export type Signal = (tick: number) => PropertyValue;

/**
 * Plausible values per type, within the property's minimum/maximum (0..100 when absent):
 * FLOAT/DOUBLE follow a slow sine (period 60 ticks) through the band a healthy device reports
 * (mappers/simulate: 19..24 degC, 38..52 %RH; else the middle 30 % of the range) plus a little noise, INT takes a bounded
 * random walk of +-1, BOOLEAN flips about every 10 ticks, STRING/BYTES stay at their initial
 * value. `random` is injectable so tests are deterministic.
 */
export function signalFor(p: PropertyInstance, random: () => number = Math.random): Signal {
  const min = p.minimum ?? 0;
  const max = p.maximum ?? Math.max(min + 100, 100);
  const band = operatingBand(p, { lo: min, hi: max });
  switch (p.type) {
    case 'FLOAT':
    case 'DOUBLE':
      return (tick) => {
        const wave = (Math.sin((2 * Math.PI * tick) / 60) + 1) / 2;
        const noisy = band.lo + (band.hi - band.lo) * wave + (random() - 0.5) * (band.hi - band.lo) * 0.03;
        return round(Math.min(max, Math.max(min, noisy)), p.type === 'FLOAT' ? 3 : 6);
      };
    case 'INT': {
      const lo = Math.ceil(min);
      const hi = Math.floor(max);
      let current = Math.round((lo + hi) / 2);
      return () => {
        current = Math.min(hi, Math.max(lo, current + (random() < 0.5 ? -1 : 1)));
        return current;
      };
    }
    case 'BOOLEAN': {
      let current = false;
      return () => {
        if (random() < 0.1) current = !current;
        return current;
      };
    }
    case 'STRING':
    case 'BYTES':
    case 'STREAM': {
      const fixed = initialValue(p);
      return () => fixed;
    }
  }
}

/** The value a variable starts with: the desired value when the device has one. */
export function initialValue(p: PropertyInstance): PropertyValue {
  const d = p.desired;
  switch (p.type) {
    case 'INT':
      return d !== undefined && Number.isInteger(Number(d))
        ? Number(d)
        : Math.round(((p.minimum ?? 0) + (p.maximum ?? 100)) / 2);
    case 'FLOAT':
    case 'DOUBLE':
      return d !== undefined && Number.isFinite(Number(d)) ? Number(d) : ((p.minimum ?? 0) + (p.maximum ?? 100)) / 2;
    case 'BOOLEAN':
      return d === 'true' || d === '1';
    case 'BYTES':
      return d ?? '';
    case 'STRING':
    case 'STREAM':
      return d ?? `${p.name}-1`;
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
