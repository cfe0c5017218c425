import { describe, expect, it } from 'vitest';
import { counterRate, isCounter, operatingBand } from './plausible.js';

const band = (p: Parameters<typeof operatingBand>[0], lo: number, hi: number) => operatingBand(p, { lo, hi });

describe('operatingBand', () => {
  it('puts meters at a real supply: mains volts, 50 Hz, a power factor near 1, a load well inside the range', () => {
    expect(band({ name: 'voltage', type: 'FLOAT', unit: 'V' }, 0, 300)).toEqual({ lo: 227.7, hi: 232.3 });
    expect(band({ name: 'line-voltage-l1-l2', type: 'FLOAT', unit: 'V' }, 0, 500)).toEqual({ lo: 396, hi: 404 });
    expect(band({ name: 'voltage', type: 'FLOAT', unit: 'V' }, 90, 130)).toEqual({ lo: 118.8, hi: 121.2 });
    expect(band({ name: 'frequency', type: 'FLOAT', unit: 'Hz' }, 45, 65)).toEqual({ lo: 49.95, hi: 50.05 });
    expect(band({ name: 'frequency', type: 'FLOAT', unit: 'Hz' }, 55, 65)).toEqual({ lo: 59.95, hi: 60.05 });
    expect(band({ name: 'power-factor', type: 'FLOAT' }, -1, 1)).toEqual({ lo: 0.92, hi: 0.98 });
    const amps = band({ name: 'current', type: 'FLOAT', unit: 'A' }, 0, 45);
    expect(amps.lo).toBeCloseTo(5.4);
    expect(amps.hi).toBeCloseTo(13.5);
    // Import side of a meter that measures both directions.
    expect(band({ name: 'active-power', type: 'FLOAT', unit: 'W' }, -12000, 12000).lo).toBeGreaterThan(0);
  });

  it('puts rooms at room conditions, and anything else in the middle of its range', () => {
    expect(band({ name: 'temperature', type: 'DOUBLE', unit: 'degC' }, -40, 120)).toEqual({ lo: 19, hi: 24 });
    expect(band({ name: 'humidity', type: 'DOUBLE', unit: '%RH' }, 0, 100)).toEqual({ lo: 38, hi: 52 });
    expect(band({ name: 'level', type: 'FLOAT', unit: 'm' }, 0, 10)).toEqual({ lo: 3.5, hi: 6.5 });
    // A range that excludes every nominal value: the middle of it.
    expect(band({ name: 'voltage', type: 'FLOAT', unit: 'V' }, 0, 10)).toEqual({ lo: 3.5, hi: 6.5 });
  });
});

describe('counters', () => {
  it('are counted by name, description or an energy unit, and climb as fast as a real one, at most half the model allows', () => {
    expect(isCounter({ name: 'import-active-energy', type: 'FLOAT', unit: 'kWh' })).toBe(true);
    expect(isCounter({ name: 'uptime', type: 'INT' })).toBe(true);
    expect(isCounter({ name: 'temperature', type: 'FLOAT', unit: 'degC' })).toBe(false);
    expect(counterRate({ name: 'e', type: 'FLOAT', unit: 'kWh', maxRatePerSecond: 0.01 })).toBe(0.0005);
    expect(counterRate({ name: 'e', type: 'FLOAT', unit: 'kWh', maxRatePerSecond: 0.0004 })).toBe(0.0002);
    expect(counterRate({ name: 'n', type: 'INT' })).toBe(1);
  });
});
