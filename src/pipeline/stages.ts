import type { CleansingRules, Quality } from '../model/cleansing/index.js';
import type { PipelineState } from './state.js';
import type { PipelineCounters } from './types.js';

/** The reading being processed; one per pipeline, reused for every reading. */
export interface Work {
  num: number;
  quality: Quality;
  reason: string | undefined;
  ts: number;
}

/** A numeric stage; returns false when it rejected the reading (and then set quality bad and reason). */
export type NumericStage = (w: Work) => boolean;

/**
 * Compiles the numeric stages of `rules` into a flat array in the fixed order range, spike,
 * rateOfChange, (accept), smoothing, convert. Only configured stages are included.
 */
export function buildNumericStages(rules: CleansingRules, s: PipelineState, c: PipelineCounters): NumericStage[] {
  const stages: NumericStage[] = [];
  if (rules.range) stages.push(rangeStage(rules.range, c));
  if (rules.spike) stages.push(spikeStage(rules.spike.maxStep, s, c));
  if (rules.rateOfChange) stages.push(rateOfChangeStage(rules.rateOfChange.maxPerSecond, s, c));
  if (rules.spike || rules.rateOfChange) stages.push(acceptStage(s));
  if (rules.smoothing?.method === 'movingAverage') stages.push(movingAverageStage(s));
  if (rules.smoothing?.method === 'ema') stages.push(emaStage(rules.smoothing.alpha ?? 1, s));
  if (rules.convert) stages.push(convertStage(rules.convert.scale, rules.convert.offset ?? 0));
  return stages;
}

function reject(w: Work, reason: string): false {
  w.quality = 'bad';
  w.reason = reason;
  return false;
}

function rangeStage(rule: NonNullable<CleansingRules['range']>, c: PipelineCounters): NumericStage {
  const min = rule.min ?? -Infinity;
  const max = rule.max ?? Infinity;
  if (rule.action === 'clamp') {
    return (w) => {
      if (w.num < min) {
        c.clamped.min++;
        w.reason = `clamped to min ${min} (read ${w.num})`;
        w.num = min;
        w.quality = 'uncertain';
      } else if (w.num > max) {
        c.clamped.max++;
        w.reason = `clamped to max ${max} (read ${w.num})`;
        w.num = max;
        w.quality = 'uncertain';
      }
      return true;
    };
  }
  return (w) => {
    if (w.num >= min && w.num <= max) return true;
    c.rejected.range++;
    return reject(w, w.num < min ? `range: ${w.num} below min ${min}` : `range: ${w.num} above max ${max}`);
  };
}

/**
 * A jump larger than maxStep from the last accepted value is a spike, unless the previous reading
 * was rejected as a spike too and this one lies within maxStep of it: two readings agreeing on a
 * new level are a real step, and rejecting them forever would freeze the property.
 */
function spikeStage(maxStep: number, s: PipelineState, c: PipelineCounters): NumericStage {
  return (w) => {
    if (!s.hasRef || Math.abs(w.num - s.refValue) <= maxStep) return true;
    if (s.hasSpikeCandidate && Math.abs(w.num - s.spikeCandidate) <= maxStep) return true;
    s.hasSpikeCandidate = true;
    s.spikeCandidate = w.num;
    c.rejected.spike++;
    return reject(
      w,
      `spike: ${round(w.num)} is ${round(Math.abs(w.num - s.refValue))} from the last good ${round(s.refValue)} (maxStep ${maxStep})`,
    );
  };
}

/** Rate against the last accepted value; readings not newer than it cannot be rated and pass. */
function rateOfChangeStage(maxPerSecond: number, s: PipelineState, c: PipelineCounters): NumericStage {
  return (w) => {
    const dt = w.ts - s.refTs;
    if (!s.hasRef || dt <= 0) return true;
    const rate = (Math.abs(w.num - s.refValue) * 1000) / dt;
    if (rate <= maxPerSecond) return true;
    c.rejected.rateOfChange++;
    return reject(
      w,
      `rateOfChange: ${round(rate)}/s from the last good ${round(s.refValue)} (maxPerSecond ${maxPerSecond})`,
    );
  };
}

/** The reading passed every rejecting stage: it becomes the reference for spike and rateOfChange. */
function acceptStage(s: PipelineState): NumericStage {
  return (w) => {
    s.hasRef = true;
    s.refValue = w.num;
    s.refTs = w.ts;
    s.hasSpikeCandidate = false;
    return true;
  };
}

/** Mean of the last `window` values (of fewer while the window fills), running sum recomputed per lap against drift. */
function movingAverageStage(s: PipelineState): NumericStage {
  return (w) => {
    const buf = s.window;
    const size = buf.length;
    if (s.windowCount === size) s.windowSum -= buf[s.windowNext]!;
    else s.windowCount++;
    buf[s.windowNext] = w.num;
    s.windowSum += w.num;
    s.windowNext++;
    if (s.windowNext === size) {
      s.windowNext = 0;
      if (s.windowCount === size) {
        let sum = 0;
        for (let i = 0; i < size; i++) sum += buf[i]!;
        s.windowSum = sum;
      }
    }
    w.num = s.windowSum / s.windowCount;
    return true;
  };
}

function emaStage(alpha: number, s: PipelineState): NumericStage {
  return (w) => {
    s.ema = s.hasEma ? alpha * w.num + (1 - alpha) * s.ema : w.num;
    s.hasEma = true;
    w.num = s.ema;
    return true;
  };
}

function convertStage(scale: number, offset: number): NumericStage {
  return (w) => {
    w.num = w.num * scale + offset;
    return true;
  };
}

/** A number for a reason a person reads: no binary noise (57.60000000000002 -> 57.6). */
function round(n: number): number {
  return Number(n.toPrecision(12));
}
