import { describe, expect, it } from 'vitest';
import { decodeGga, decodeRmc, parseNmea } from '../nmea.js';
import { coordinate, GpsTrack } from './gps.js';

describe('GpsTrack', () => {
  it('emits GGA and RMC with valid checksums that decode back to its position', () => {
    const track = new GpsTrack({ latitude: -33.8568, longitude: -151.2153, altitude: 12 });
    const [gga, rmc] = track.sentences(new Date(Date.UTC(2026, 2, 4, 5, 6, 7, 890)));
    const g = parseNmea(gga!);
    const r = parseNmea(rmc!);
    if (!g.ok || !r.ok) throw new Error('checksum');
    expect(decodeGga(g.sentence.fields)).toMatchObject({
      latitude: expect.closeTo(-33.8568, 5),
      longitude: expect.closeTo(-151.2153, 5),
      altitude: 12,
      satellites: 8,
    });
    expect(decodeRmc(r.sentence.fields)).toMatchObject({ status: 'A', speedKnots: 3.5, course: 45 });
    expect(g.sentence.fields[0]).toBe('050607.89');
    expect(r.sentence.fields[8]).toBe('040326');
  });

  it('moves slowly along its course', () => {
    const track = new GpsTrack({ latitude: 10, longitude: 20, speedKnots: 60, course: 0 });
    track.advance(3600);
    expect(track.position.latitude).toBeCloseTo(11, 9);
    expect(track.position.longitude).toBeCloseTo(20, 9);
  });

  it('never writes 60 minutes when rounding', () => {
    expect(coordinate(47.99999999, 2, 'N', 'S')).toEqual(['4800.0000', 'N']);
    expect(coordinate(-7.5, 3, 'E', 'W')).toEqual(['00730.0000', 'W']);
  });
});
