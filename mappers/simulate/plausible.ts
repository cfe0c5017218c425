/**
 * What a simulated property shows when its device is healthy: an operating band plausible for its
 * unit and range (a 230 V meter reads 228..232 V, not a sweep through 0..300), and for counters a
 * rate that the model's own cleansing accepts (an energy counter climbing faster than its
 * rateOfChange would be rejected as bad). Shared by the protocol simulators, which read the same
 * device models the mappers do.
 */

export interface SimProperty {
  name: string;
  /** DeviceModel type: INT, FLOAT, DOUBLE... */
  type: string;
  unit?: string | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  description?: string | undefined;
  /** cleansing.rateOfChange.maxPerSecond, when the model sets one. */
  maxRatePerSecond?: number | undefined;
  /** The device's own voltage and current bands (a meter): its powers then agree with them. */
  supply?: { volts: Band; amps: Band } | undefined;
}

export interface Band {
  lo: number;
  hi: number;
}

/** Nominal mains voltages, phase to neutral first; line-to-line names pick the 400/208 V ones. */
const PHASE_VOLTS = [230, 120, 240, 220, 100];
const LINE_VOLTS = [400, 208, 415, 380];

/**
 * The band a healthy device reports, inside the property's minimum..maximum (`range`, the caller's
 * engineering range after any register limits). Undefined for anything that is not a number.
 */
export function operatingBand(p: SimProperty, range: Band): Band {
  const unit = (p.unit ?? '').toLowerCase();
  const text = `${p.name} ${p.description ?? ''}`.toLowerCase();
  const within = (lo: number, hi: number): Band | undefined =>
    lo >= range.lo && hi <= range.hi && hi > lo ? { lo, hi } : undefined;
  const around = (nominal: number, swing: number) => within(nominal - swing, nominal + swing);
  const share = (from: number, to: number): Band => {
    const span = range.hi - range.lo;
    return { lo: range.lo + span * from, hi: range.lo + span * to };
  };
  const pick = (candidates: Array<Band | undefined>): Band =>
    candidates.find((b) => b !== undefined) ?? share(0.35, 0.65);
  if (unit === 'v') {
    const lineToLine = /l\d-l\d|line.to.line|\bll\b|phase.to.phase/.test(text);
    const volts = lineToLine ? [...LINE_VOLTS, ...PHASE_VOLTS] : [...PHASE_VOLTS, ...LINE_VOLTS];
    return pick(volts.map((v) => around(v, v * 0.01)));
  }
  if (unit === 'hz') return pick([around(50, 0.05), around(60, 0.05)]);
  if (/power.?factor|\bpf\b|cos.?phi/.test(text)) return pick([within(0.92, 0.98)]);
  if (unit === 'deg' && /angle/.test(text)) return pick([within(11, 23)]);
  const kilo = unit.startsWith('k') ? 1000 : 1;
  if (p.supply && ['w', 'kw', 'va', 'kva', 'var', 'kvar'].includes(unit)) {
    // S = V x I; P = S x power factor (0.92..0.98); Q = S x sin(acos(pf)) (0.2..0.39).
    const { volts, amps } = p.supply;
    const [lo, hi] = unit.endsWith('va') ? [1, 1] : unit.endsWith('var') ? [0.2, 0.39] : [0.92, 0.98];
    return pick([within((volts.lo * amps.lo * lo) / kilo, (volts.hi * amps.hi * hi) / kilo)]);
  }
  if (['a', 'w', 'kw', 'va', 'kva', 'var', 'kvar'].includes(unit)) {
    // A load: well inside the meter's range, on the import side when it measures both ways.
    const top = range.hi > 0 ? range.hi : 1000;
    const floor = Math.max(range.lo, 0);
    return pick([within(floor + (top - floor) * 0.12, floor + (top - floor) * 0.3)]);
  }
  if (unit === 'degc' || unit === '°c') return pick([within(19, 24), share(0.35, 0.45)]);
  if (unit === 'degf' || unit === '°f') return pick([within(66, 75)]);
  if (unit === '%rh' || (unit === '%' && /humid/.test(text))) return pick([within(38, 52)]);
  if (unit === 'hpa' || unit === 'mbar') return pick([within(1008, 1020)]);
  return share(0.35, 0.65);
}

/** Per-second climb of a counter: plausible for its unit, and at most half its rateOfChange limit. */
export function counterRate(p: SimProperty): number {
  const unit = (p.unit ?? '').toLowerCase();
  const plausible = unit === 'kwh' || unit === 'kvarh' ? 0.0005 : unit === 'wh' || unit === 'varh' ? 0.5 : 1;
  const limit = p.maxRatePerSecond;
  return limit !== undefined && limit > 0 ? Math.min(plausible, limit / 2) : plausible;
}

/** Counters, totals and uptimes only go up: said by the name, the description or an energy unit. */
export function isCounter(p: SimProperty): boolean {
  if (/^(k?wh|k?varh|m3)$/i.test(p.unit ?? '')) return true;
  return p.type === 'INT' && /\b(count|counter|uptime)\b/iu.test(`${p.name} ${p.description ?? ''}`);
}
