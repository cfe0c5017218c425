import { Type, type Static } from '@sinclair/typebox';
import { QualitySchema, type Quality } from '../model/cleansing/index.js';
import type { RawValue } from './types.js';

/**
 * Per-property state: one flat plain object, mutated in place on every reading. Flags instead of
 * nullable sub-objects so that processing a reading allocates nothing.
 */
export interface PipelineState {
  /** Last accepted numeric input (input units), the reference of spike and rateOfChange. */
  hasRef: boolean;
  refValue: number;
  refTs: number;
  /** A value rejected as a spike; the next reading within maxStep of it confirms a level shift. */
  hasSpikeCandidate: boolean;
  spikeCandidate: number;
  /** movingAverage ring buffer (length = window, 0 without movingAverage). */
  window: Float64Array;
  windowCount: number;
  windowNext: number;
  windowSum: number;
  hasEma: boolean;
  ema: number;
  /** Last output value that was not bad (output units), what holdLast holds. */
  hasLastGood: boolean;
  lastGood: RawValue;
  lastGoodTs: number;
  /** Last emitted reading, what deadband and onChange compare against. */
  hasReported: boolean;
  reportedValue: RawValue;
  reportedQuality: Quality;
  reportedTs: number;
  /** Newest result, emitted or suppressed: what a heartbeat republishes. */
  hasLatest: boolean;
  latestValue: RawValue;
  latestQuality: Quality;
  latestReason: string | undefined;
}

export function createState(windowSize: number): PipelineState {
  return {
    hasRef: false,
    refValue: 0,
    refTs: 0,
    hasSpikeCandidate: false,
    spikeCandidate: 0,
    window: new Float64Array(windowSize),
    windowCount: 0,
    windowNext: 0,
    windowSum: 0,
    hasEma: false,
    ema: 0,
    hasLastGood: false,
    lastGood: null,
    lastGoodTs: 0,
    hasReported: false,
    reportedValue: null,
    reportedQuality: 'good',
    reportedTs: 0,
    hasLatest: false,
    latestValue: null,
    latestQuality: 'good',
    latestReason: undefined,
  };
}

const Value = Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]);

/** The JSON form of a pipeline's state, for persisting across restarts (SQLite on the edge node). */
export const PipelineSnapshotSchema = Type.Object(
  {
    version: Type.Literal(1),
    /** The convert rule the output-unit values below were produced with. */
    convert: Type.String(),
    reference: Type.Union([Type.Object({ value: Type.Number(), ts: Type.Number() }), Type.Null()]),
    spikeCandidate: Type.Union([Type.Number(), Type.Null()]),
    /** movingAverage window, oldest first. */
    window: Type.Array(Type.Number()),
    /**
     * Where the ring buffer stood and its running sum, so that a restored pipeline with the same
     * window repeats the original's arithmetic exactly (the sum is recomputed once per lap).
     */
    windowRing: Type.Optional(
      Type.Object({ size: Type.Integer({ minimum: 1 }), next: Type.Integer({ minimum: 0 }), sum: Type.Number() }),
    ),
    ema: Type.Union([Type.Number(), Type.Null()]),
    lastGood: Type.Union([Type.Object({ value: Value, ts: Type.Number() }), Type.Null()]),
    lastReported: Type.Union([Type.Object({ value: Value, quality: QualitySchema, ts: Type.Number() }), Type.Null()]),
    latest: Type.Union([
      Type.Object({ value: Value, quality: QualitySchema, reason: Type.Optional(Type.String()) }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type PipelineSnapshot = Static<typeof PipelineSnapshotSchema>;

export function snapshotState(s: PipelineState, convertKey: string): PipelineSnapshot {
  const window: number[] = [];
  const size = s.window.length;
  for (let i = 0; i < s.windowCount; i++) window.push(s.window[(s.windowNext - s.windowCount + i + size) % size]!);
  return {
    version: 1,
    convert: convertKey,
    reference: s.hasRef ? { value: s.refValue, ts: s.refTs } : null,
    spikeCandidate: s.hasSpikeCandidate ? s.spikeCandidate : null,
    window,
    ...(size > 0 ? { windowRing: { size, next: s.windowNext, sum: s.windowSum } } : {}),
    ema: s.hasEma ? s.ema : null,
    lastGood: s.hasLastGood ? { value: s.lastGood, ts: s.lastGoodTs } : null,
    lastReported: s.hasReported ? { value: s.reportedValue, quality: s.reportedQuality, ts: s.reportedTs } : null,
    latest: s.hasLatest
      ? {
          value: s.latestValue,
          quality: s.latestQuality,
          ...(s.latestReason === undefined ? {} : { reason: s.latestReason }),
        }
      : null,
  };
}

/**
 * Loads a snapshot into fresh state. Tolerates rule changes: a longer window keeps filling, a
 * shorter one keeps the newest values; output-unit values are dropped when the convert rule differs.
 */
export function applySnapshot(s: PipelineState, snap: PipelineSnapshot, convertKey: string): void {
  const fresh = createState(s.window.length);
  Object.assign(s, fresh);
  if (snap.reference) {
    s.hasRef = true;
    s.refValue = snap.reference.value;
    s.refTs = snap.reference.ts;
  }
  if (snap.spikeCandidate !== null) {
    s.hasSpikeCandidate = true;
    s.spikeCandidate = snap.spikeCandidate;
  }
  const size = s.window.length;
  const kept = snap.window.slice(Math.max(0, snap.window.length - size));
  const ring = snap.windowRing?.size === size && snap.windowRing.next < size ? snap.windowRing : undefined;
  if (ring) s.windowNext = (ring.next - kept.length + size) % size;
  for (const v of kept) {
    s.window[s.windowNext] = v;
    s.windowNext = (s.windowNext + 1) % size;
    s.windowSum += v;
  }
  if (ring) s.windowSum = ring.sum;
  s.windowCount = kept.length;
  if (snap.ema !== null) {
    s.hasEma = true;
    s.ema = snap.ema;
  }
  if (snap.convert !== convertKey) return;
  if (snap.lastGood) {
    s.hasLastGood = true;
    s.lastGood = snap.lastGood.value;
    s.lastGoodTs = snap.lastGood.ts;
  }
  if (snap.lastReported) {
    s.hasReported = true;
    s.reportedValue = snap.lastReported.value;
    s.reportedQuality = snap.lastReported.quality;
    s.reportedTs = snap.lastReported.ts;
  }
  if (snap.latest) {
    s.hasLatest = true;
    s.latestValue = snap.latest.value;
    s.latestQuality = snap.latest.quality;
    s.latestReason = snap.latest.reason;
  }
}
