import { checker } from '../core/schema/index.js';
import { validateCleansingRules, type CleansingRules, type Quality } from '../model/cleansing/index.js';
import { errors } from './errors.js';
import { buildNumericStages, type NumericStage, type Work } from './stages.js';
import {
  applySnapshot,
  createState,
  PipelineSnapshotSchema,
  snapshotState,
  type PipelineSnapshot,
  type PipelineState,
} from './state.js';
import { createCounters, type CleansedReading, type PipelineCounters, type RawSample, type RawValue } from './types.js';

/** The cleansing of one property: compiled once from its rules, then fed every reading. */
export interface Pipeline {
  readonly rules: CleansingRules;
  /** One reading in, zero (suppressed) or one cleansed reading out. */
  process(raw: RawSample): CleansedReading | undefined;
  /** Emits, without new input, a staleness transition (holdLast) or a heartbeat (report.maxSilenceMs) when due. */
  tick(now: number): CleansedReading | undefined;
  snapshot(): PipelineSnapshot;
  /** Loads state saved by `snapshot()` (possibly under other rules); throws KEDGE_PIPELINE_BAD_SNAPSHOT. */
  restore(snapshot: unknown): void;
}

export interface PipelineOptions {
  /** Names the property in error messages, e.g. `thermo-1/temperature`. */
  name?: string;
  /** Counters to increment (shared by a PipelineSet); a private set when omitted. */
  counters?: PipelineCounters;
}

const checkSnapshot = checker(PipelineSnapshotSchema);

const NOT_SUPPRESSED = 0;
const UNCHANGED = 1;
const IN_DEADBAND = 2;

/** Validates `rules` (schema and semantics) and compiles them; throws KEDGE_PIPELINE_INVALID_RULES. */
export function compilePipeline(rules: unknown, options: PipelineOptions = {}): Pipeline {
  const name = options.name ?? 'property';
  const problems = validateCleansingRules(rules);
  if (problems.length > 0) {
    throw errors.create(
      'KEDGE_PIPELINE_INVALID_RULES',
      `cleansing rules of ${name}: ${problems.map((p) => p.message).join('; ')}`,
      { detail: { problems } },
    );
  }
  return new CleansingPipeline(structuredClone(rules as CleansingRules), name, options.counters ?? createCounters());
}

class CleansingPipeline implements Pipeline {
  private readonly state: PipelineState;
  private readonly work: Work = { num: 0, quality: 'good', reason: undefined, ts: 0 };
  private readonly stages: NumericStage[];
  private readonly convertKey: string;
  private readonly unit: string | undefined;
  private readonly suppresses: boolean;
  private readonly deadbandAbsolute: number;
  private readonly deadbandPercent: number;
  private readonly maxSilenceMs: number;
  private readonly staleAfterMs: number;

  constructor(
    readonly rules: CleansingRules,
    private readonly name: string,
    private readonly counters: PipelineCounters,
  ) {
    const window = rules.smoothing?.method === 'movingAverage' ? (rules.smoothing.window ?? 2) : 0;
    this.state = createState(window);
    this.stages = buildNumericStages(rules, this.state, counters);
    this.convertKey = JSON.stringify(rules.convert ?? null);
    this.unit = rules.convert?.unit;
    this.suppresses = rules.report?.onChange === true || rules.deadband !== undefined;
    this.deadbandAbsolute = rules.deadband?.absolute ?? 0;
    this.deadbandPercent = rules.deadband?.percent ?? 0;
    this.maxSilenceMs = rules.report?.maxSilenceMs ?? Infinity;
    this.staleAfterMs = rules.holdLast?.staleAfterMs ?? Infinity;
  }

  process(raw: RawSample): CleansedReading | undefined {
    const c = this.counters;
    c.processed++;
    const ts = raw.ts;
    if (raw.quality === 'bad') {
      c.rejected.badInput++;
      return this.bad(raw.reason ?? 'input quality bad', ts);
    }
    let value: RawValue = raw.value;
    let quality: Quality = raw.quality;
    let reason = raw.reason;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        c.rejected.notFinite++;
        return this.bad(`not a finite number (${value})`, ts);
      }
      const w = this.work;
      // -0 is 0 to a plant engineer, and JSON (snapshots, MQTT) cannot carry it anyway.
      w.num = value === 0 ? 0 : value;
      w.quality = quality;
      w.reason = reason;
      w.ts = ts;
      const stages = this.stages;
      for (let i = 0; i < stages.length; i++) {
        if (!stages[i]!(w)) return this.bad(w.reason ?? 'rejected', ts);
      }
      if (!Number.isFinite(w.num)) {
        c.rejected.notFinite++;
        return this.bad(`result of smoothing/convert is not finite (${w.num})`, ts);
      }
      value = w.num;
      quality = w.quality;
      reason = w.reason;
    } else if (value === null) {
      c.rejected.noValue++;
      return this.bad(raw.reason ?? 'no value', ts);
    }
    const s = this.state;
    s.hasLastGood = true;
    s.lastGood = value;
    s.lastGoodTs = ts;
    return this.report(value, quality, reason, ts);
  }

  tick(now: number): CleansedReading | undefined {
    const s = this.state;
    if (s.hasLastGood && now - s.lastGoodTs >= this.staleAfterMs && !(s.hasLatest && s.latestQuality === 'stale')) {
      this.counters.stale++;
      return this.report(
        s.lastGood,
        'stale',
        `no good value for ${now - s.lastGoodTs} ms (holdLast.staleAfterMs ${this.staleAfterMs})`,
        now,
      );
    }
    if (s.hasReported && s.hasLatest && now - s.reportedTs >= this.maxSilenceMs) {
      this.counters.heartbeats++;
      return this.emit(s.latestValue, s.latestQuality, s.latestReason, now);
    }
    return undefined;
  }

  snapshot(): PipelineSnapshot {
    return snapshotState(this.state, this.convertKey);
  }

  restore(snapshot: unknown): void {
    const checked = checkSnapshot(snapshot);
    if (!checked.ok)
      throw errors.create('KEDGE_PIPELINE_BAD_SNAPSHOT', `pipeline snapshot of ${this.name}: ${checked.reason}`);
    applySnapshot(this.state, checked.value, this.convertKey);
  }

  /** A rejected or bad reading: holdLast substitutes the last good value, else the output is bad with no value. */
  private bad(reason: string, ts: number): CleansedReading | undefined {
    const s = this.state;
    if (this.staleAfterMs === Infinity || !s.hasLastGood) return this.report(null, 'bad', reason, ts);
    this.counters.held++;
    const age = ts - s.lastGoodTs;
    if (age >= this.staleAfterMs) {
      this.counters.stale++;
      return this.report(s.lastGood, 'stale', `last good value is ${age} ms old: ${reason}`, ts);
    }
    return this.report(s.lastGood, 'uncertain', `holding last good value: ${reason}`, ts);
  }

  /** deadband / report: a quality change always passes; a heartbeat passes after maxSilenceMs. */
  private report(
    value: RawValue,
    quality: Quality,
    reason: string | undefined,
    ts: number,
  ): CleansedReading | undefined {
    const s = this.state;
    s.hasLatest = true;
    s.latestValue = value;
    s.latestQuality = quality;
    s.latestReason = reason;
    if (this.suppresses && s.hasReported && quality === s.reportedQuality) {
      const why = this.suppression(value, s.reportedValue);
      if (why !== NOT_SUPPRESSED) {
        if (ts - s.reportedTs < this.maxSilenceMs) {
          if (why === UNCHANGED) this.counters.suppressed.unchanged++;
          else this.counters.suppressed.deadband++;
          return undefined;
        }
        this.counters.heartbeats++;
      }
    }
    return this.emit(value, quality, reason, ts);
  }

  private suppression(value: RawValue, last: RawValue): number {
    if (value === last) return UNCHANGED;
    if (typeof value === 'number' && typeof last === 'number') {
      const delta = Math.abs(value - last);
      // percent compared as delta * 100 < |last| * percent: exact for whole numbers, unlike percent / 100
      if (delta < this.deadbandAbsolute || delta * 100 < Math.abs(last) * this.deadbandPercent) return IN_DEADBAND;
    }
    return NOT_SUPPRESSED;
  }

  private emit(value: RawValue, quality: Quality, reason: string | undefined, ts: number): CleansedReading {
    if (value === 0) value = 0; // arithmetic can yield -0; consumers and snapshots (JSON) know only 0
    const s = this.state;
    s.hasReported = true;
    s.reportedValue = value;
    s.reportedQuality = quality;
    s.reportedTs = ts;
    this.counters.emitted++;
    return { value, quality, ts, reason, unit: typeof value === 'number' ? this.unit : undefined };
  }
}
