import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGga, decodeRmc, formatNmea, nmeaChecksum, nmeaCoordinate, parseNmea } from './nmea.js';

describe('NMEA checksum', () => {
  it('matches a published sentence', () => {
    expect(nmeaChecksum('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')).toBe('47');
  });

  it('round-trips any printable body and catches any single changed character', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^GP[A-Z]{3}(,[ -)+-~]{0,10}){1,6}$/), fc.nat(), (body, at) => {
        const line = formatNmea(body);
        expect(parseNmea(line).ok).toBe(true);
        const i = 1 + (at % body.length);
        const changed = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ 1) + line.slice(i + 1);
        if (changed.slice(0, line.lastIndexOf('*')).includes('*')) return;
        expect(parseNmea(changed).ok).toBe(false);
      }),
    );
  });
});

describe('GGA and RMC', () => {
  it('decodes GGA to signed decimal degrees and numbers', () => {
    const p = parseNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47');
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const v = decodeGga(p.sentence.fields);
    expect(v.latitude).toBeCloseTo(48.1173, 6);
    expect(v.longitude).toBeCloseTo(11.516666, 5);
    expect(v).toMatchObject({ fixQuality: 1, satellites: 8, hdop: 0.9, altitude: 545.4 });
  });

  it('decodes RMC with south/west negative and empty course as null', () => {
    const p = parseNmea(formatNmea('GPRMC,081836,A,3751.65,S,14507.36,W,000.0,,130998,011.3,E'));
    if (!p.ok) throw new Error(p.detail);
    const v = decodeRmc(p.sentence.fields);
    expect(v.latitude).toBeCloseTo(-(37 + 51.65 / 60), 9);
    expect(v.longitude).toBeCloseTo(-(145 + 7.36 / 60), 9);
    expect(v).toMatchObject({ status: 'A', speedKnots: 0, course: null });
  });

  it('a no-fix GGA gives null position, not zero', () => {
    expect(decodeGga(',,,,,0,00,99.99,,,,,,'.split(','))).toMatchObject({
      latitude: null,
      longitude: null,
      fixQuality: 0,
    });
  });

  it('says which field is malformed', () => {
    expect(() => decodeGga('1,48x7.0,N,01131.000,E,1,08,0.9,545.4'.split(','))).toThrow(/coordinate "48x7.0"/);
    expect(() => decodeGga('1,4807.0,Q,01131.000,E,1,08,0.9,545.4'.split(','))).toThrow(/hemisphere "Q"/);
    expect(() => decodeRmc('1,X,4807.0,N,01131.000,E,1,2'.split(','))).toThrow(/status "X"/);
    expect(() => decodeGga('1,2'.split(','))).toThrow(/needs at least 9/);
    expect(() => nmeaCoordinate('4870.0', 'N', 2)).toThrow(/70 minutes/);
  });
});
