import type { Quality } from '../model/cleansing/index.js';
import type { RawSample, ReadingValue } from '../model/index.js';

export type { RawSample };

/** A value before or after cleansing. */
export type RawValue = ReadingValue;

/**
 * A cleansed reading. Every output object has all five keys (reason and unit may be undefined) so
 * that V8 sees one shape; JSON.stringify drops the undefined ones.
 */
export interface CleansedReading {
  value: RawValue;
  quality: Quality;
  ts: number;
  reason?: string | undefined;
  unit?: string | undefined;
}

/** Plain counters, incremented in place (cheap on the hot path); exported to Prometheus on scrape. */
export interface PipelineCounters {
  processed: number;
  emitted: number;
  heartbeats: number;
  suppressed: { unchanged: number; deadband: number };
  rejected: {
    badInput: number;
    noValue: number;
    notFinite: number;
    range: number;
    spike: number;
    rateOfChange: number;
  };
  clamped: { min: number; max: number };
  /** Bad readings replaced by the last good value (quality uncertain or stale). */
  held: number;
  /** Outputs with quality stale (held value older than holdLast.staleAfterMs). */
  stale: number;
}

export function createCounters(): PipelineCounters {
  return {
    processed: 0,
    emitted: 0,
    heartbeats: 0,
    suppressed: { unchanged: 0, deadband: 0 },
    rejected: { badInput: 0, noValue: 0, notFinite: 0, range: 0, spike: 0, rateOfChange: 0 },
    clamped: { min: 0, max: 0 },
    held: 0,
    stale: 0,
  };
}
