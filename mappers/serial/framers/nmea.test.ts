import { describe, expect, it } from 'vitest';
import { formatNmea } from '../nmea.js';
import { NmeaFramer } from './nmea.js';

const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47';

describe('NmeaFramer', () => {
  it('reads a sentence with a good checksum', () => {
    const out = new NmeaFramer().push(Buffer.from(`${GGA}\r\n`));
    expect(out.rejects).toEqual([]);
    expect(out.frames[0]!.nmea).toMatchObject({ talker: 'GP', type: 'GGA' });
    expect(out.frames[0]!.nmea!.fields[1]).toBe('4807.038');
  });

  it('rejects a bad checksum, garbage and a missing checksum, still reading good lines', () => {
    const bad = GGA.replace('*47', '*48');
    const out = new NmeaFramer().push(
      Buffer.from(`${bad}\r\nhello\r\n$GPRMC,1,A\r\nxx${formatNmea('GPGSV,1,1,00')}\r\n${GGA}\r\n`),
    );
    expect(out.rejects.map((r) => r.reason)).toEqual(['checksum', 'garbage', 'checksum', 'garbage']);
    expect(out.rejects[0]!.detail).toMatch(/checksum 48, computed 47/);
    expect(out.frames.map((f) => f.nmea!.type)).toEqual(['GSV', 'GGA']);
  });

  it('rejects an over-long line and recovers at the next line', () => {
    const f = new NmeaFramer();
    expect(f.push(Buffer.from('$'.padEnd(400, 'A'))).rejects.map((r) => r.reason)).toEqual(['overlong']);
    expect(f.push(Buffer.from(`rest\r\n${GGA}\r\n`)).frames).toHaveLength(1);
  });
});
