import type { PropertyInstance } from '../../../src/model/index.js';
import { operatingBand } from '../../simulate/index.js';
import { seededRandom } from '../../../src/core/random/index.js';

export { seededRandom };

/**
 * The text candidates for a property's value at step `n`: numbers drift slowly through the
 * model's minimum..maximum (a sine, so readings look like a process, not noise), booleans flip
 * every 5 steps. Several renderings are offered ("21.5", "22", "21.50") so the caller can pick
 * the one the property's pattern accepts.
 */
export function valueCandidates(p: PropertyInstance, n: number, phase: number): string[] {
  const lo = p.minimum ?? 0;
  const hi = p.maximum ?? lo + 100;
  // Stay in the band a healthy device reports (a process near its operating point; range checks pass).
  const band = operatingBand(p, { lo, hi });
  const x = (band.lo + band.hi) / 2 + ((band.hi - band.lo) / 2) * Math.sin(n / 20 + phase);
  switch (p.type) {
    case 'INT':
      return [String(Math.round(x))];
    case 'FLOAT':
    case 'DOUBLE':
      return [x.toFixed(1), x.toFixed(2), String(Math.round(x)), x.toFixed(3)];
    case 'BOOLEAN':
      return Math.floor(n / 5) % 2 === 0 ? ['true', '1', 'ON'] : ['false', '0', 'OFF'];
    default:
      return ['OK', 'ok', 'A', '0'];
  }
}
