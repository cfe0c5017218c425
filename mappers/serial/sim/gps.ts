import { formatNmea } from '../nmea.js';

export interface GpsOptions {
  /** Start position, decimal degrees (default: Seoul City Hall). */
  latitude?: number;
  longitude?: number;
  altitude?: number;
  speedKnots?: number;
  /** Degrees true. */
  course?: number;
}

const NM_PER_DEGREE_LAT = 60;

/** A receiver moving in a straight line at constant speed; one GGA + RMC pair per fix. */
export class GpsTrack {
  private lat: number;
  private lon: number;
  private readonly alt: number;
  private readonly speed: number;
  private readonly course: number;

  constructor(o: GpsOptions = {}) {
    this.lat = o.latitude ?? 37.5663;
    this.lon = o.longitude ?? 126.9779;
    this.alt = o.altitude ?? 38.2;
    this.speed = o.speedKnots ?? 3.5;
    this.course = o.course ?? 45;
  }

  get position(): { latitude: number; longitude: number } {
    return { latitude: this.lat, longitude: this.lon };
  }

  /** Moves `seconds` along the course (nautical miles -> degrees, longitude scaled by latitude). */
  advance(seconds: number): void {
    const nm = (this.speed * seconds) / 3600;
    const rad = (this.course * Math.PI) / 180;
    this.lat += (nm * Math.cos(rad)) / NM_PER_DEGREE_LAT;
    this.lon += (nm * Math.sin(rad)) / (NM_PER_DEGREE_LAT * Math.cos((this.lat * Math.PI) / 180));
  }

  /** `$GPGGA,...*hh` and `$GPRMC,...*hh` for the current position at `when`. */
  sentences(when: Date): string[] {
    const time = hhmmss(when);
    const [lat, ns] = coordinate(this.lat, 2, 'N', 'S');
    const [lon, ew] = coordinate(this.lon, 3, 'E', 'W');
    const gga = `GPGGA,${time},${lat},${ns},${lon},${ew},1,08,0.9,${this.alt.toFixed(1)},M,18.5,M,,`;
    const rmc = `GPRMC,${time},A,${lat},${ns},${lon},${ew},${this.speed.toFixed(1)},${this.course.toFixed(1)},${ddmmyy(when)},,,A`;
    return [formatNmea(gga), formatNmea(rmc)];
  }
}

/** 37.5663 -> ["3733.9780", "N"]: degrees then minutes with 4 decimals, rounded as one number. */
export function coordinate(value: number, degreeDigits: 2 | 3, positive: string, negative: string): [string, string] {
  const tenThousandthMinutes = Math.round(Math.abs(value) * 60 * 10_000);
  const degrees = Math.floor(tenThousandthMinutes / 600_000);
  const minutes = (tenThousandthMinutes - degrees * 600_000) / 10_000;
  const text = `${String(degrees).padStart(degreeDigits, '0')}${minutes.toFixed(4).padStart(7, '0')}`;
  return [text, value < 0 ? negative : positive];
}

function hhmmss(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${String(Math.floor(d.getUTCMilliseconds() / 10)).padStart(2, '0')}`;
}

function ddmmyy(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${p(d.getUTCFullYear() % 100)}`;
}
