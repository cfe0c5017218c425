import type { RawReading } from '../../contracts/index.js';
import type { PropertyInstance } from '../../model/index.js';

/** How far a reading's time may be from the edge's clock (`edge.readings`). */
export interface TimeBounds {
  maxFutureMs: number;
  maxAgeMs: number;
}

/**
 * A raw reading the edge can take as it is, or the same reading marked bad with the reason: a
 * time that is no time (not finite, negative, 1e300) or too far from the edge's clock (a mapper
 * with a broken clock, a forged message), a number that is not finite or, for an INT property,
 * beyond 2^53 in magnitude (no longer an exact integer). A bad time is replaced by `now` (the reason keeps it), so
 * that ordering, age bounds and consumers never see it.
 */
export function plausible(raw: RawReading, prop: PropertyInstance, now: number, bounds: TimeBounds): RawReading {
  const ts = raw.ts;
  if (!Number.isFinite(ts) || ts < 0 || ts > now + bounds.maxFutureMs || ts < now - bounds.maxAgeMs) {
    const why =
      !Number.isFinite(ts) || ts < 0
        ? `timestamp ${ts} is not a time`
        : ts > now
          ? `timestamp ${ts} is ${ts - now} ms ahead of the edge's clock (edge.readings.maxFutureMs ${bounds.maxFutureMs})`
          : `timestamp ${ts} is ${now - ts} ms old (edge.readings.maxAgeMs ${bounds.maxAgeMs})`;
    return bad(raw, now, why);
  }
  const v = raw.value;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return bad(raw, ts, `value ${v} is not a finite number`);
    // Only the magnitude: a scaled register may give an INT property a fraction, which the
    // pipeline's type handling deals with; beyond 2^53 no integer is exact any more.
    if (prop.type === 'INT' && Math.abs(v) > Number.MAX_SAFE_INTEGER)
      return bad(raw, ts, `value ${v} is beyond what an INT property holds exactly (2^53 - 1)`);
  }
  return raw;
}

function bad(raw: RawReading, ts: number, reason: string): RawReading {
  return { property: raw.property, value: null, quality: 'bad', ts, reason };
}
