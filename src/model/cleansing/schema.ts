import { Type, type Static } from '@sinclair/typebox';

/**
 * The `cleansing` rules of a device property (kedge's addition to KubeEdge v1beta1).
 *
 * Alternatives such as `smoothing: movingAverage | ema` and `deadband: absolute | percent` are one
 * flat object with optional fields rather than a union: Kubernetes structural schemas (our CRDs)
 * do not allow properties that appear only inside `anyOf` branches, and a flat object gives the
 * user a plain "unknown field" error for a typo. Which fields go together is checked by
 * `checkCleansingRules`.
 */

export const QualitySchema = Type.Union(
  [Type.Literal('good'), Type.Literal('bad'), Type.Literal('uncertain'), Type.Literal('stale')],
  {
    description:
      'Data quality carried with every value: good; bad (no usable value); uncertain (clamped, or the last ' +
      'good value held after a bad reading); stale (held value older than holdLast.staleAfterMs).',
  },
);
export type Quality = Static<typeof QualitySchema>;

const closed = { additionalProperties: false } as const;

export const RangeRuleSchema = Type.Object(
  {
    min: Type.Optional(Type.Number({ description: 'Lowest plausible raw value (inclusive).' })),
    max: Type.Optional(Type.Number({ description: 'Highest plausible raw value (inclusive).' })),
    action: Type.Union([Type.Literal('reject'), Type.Literal('clamp')], {
      description:
        'What to do with a value outside [min, max]: reject (quality bad) or clamp to the nearest bound (quality uncertain).',
    }),
  },
  { ...closed, description: 'Plausible range of the raw value; give min, max or both.' },
);

export const SpikeRuleSchema = Type.Object(
  {
    maxStep: Type.Number({
      exclusiveMinimum: 0,
      description:
        'Largest believable change from the last accepted value; a larger jump is rejected (quality bad) unless ' +
        'the next reading confirms the new level (lies within maxStep of the rejected one).',
    }),
  },
  { ...closed, description: 'Rejects single-reading spikes.' },
);

export const RateOfChangeRuleSchema = Type.Object(
  {
    maxPerSecond: Type.Number({
      exclusiveMinimum: 0,
      description:
        'Largest believable |change| per second against the last accepted value; faster is rejected (quality bad).',
    }),
  },
  { ...closed, description: 'Rejects physically impossible rates of change.' },
);

export const SmoothingRuleSchema = Type.Object(
  {
    method: Type.Union([Type.Literal('movingAverage'), Type.Literal('ema')], {
      description: 'movingAverage (mean of the last `window` accepted values) or ema (exponential moving average).',
    }),
    window: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 1000,
        description: 'movingAverage only: number of values averaged (2..1000).',
      }),
    ),
    alpha: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: 'ema only: weight of the newest value, in (0, 1]; 1 means no smoothing.',
      }),
    ),
  },
  { ...closed, description: 'Smooths accepted numeric values; runs after range, spike and rateOfChange.' },
);

export const ConvertRuleSchema = Type.Object(
  {
    scale: Type.Number({ description: 'Multiplier: output = value * scale + offset. Must not be 0.' }),
    offset: Type.Optional(Type.Number({ description: 'Added after scaling (default 0).' })),
    unit: Type.Optional(
      Type.String({ minLength: 1, description: 'Unit of the converted value, published with it (e.g. degF).' }),
    ),
  },
  { ...closed, description: 'Linear unit conversion, applied after smoothing.' },
);

export const DeadbandRuleSchema = Type.Object(
  {
    absolute: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Suppress a value that differs from the last reported one by less than this (in converted units).',
      }),
    ),
    percent: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description:
          'Suppress a value that differs from the last reported one by less than this percentage of the last ' +
          'reported value (against 0 every change is reported).',
      }),
    ),
  },
  {
    ...closed,
    description:
      'Suppress small changes; give absolute or percent. An unchanged value is always suppressed; a quality change is always reported.',
  },
);

export const ReportRuleSchema = Type.Object(
  {
    onChange: Type.Optional(
      Type.Boolean({ description: 'Publish only when the value or its quality changes (default false).' }),
    ),
    maxSilenceMs: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Heartbeat: republish the current value at least this often (ms), even when suppressed.',
      }),
    ),
  },
  { ...closed, description: 'When to publish.' },
);

export const HoldLastRuleSchema = Type.Object(
  {
    staleAfterMs: Type.Number({
      exclusiveMinimum: 0,
      description:
        'After this many ms without a good value the held value is published with quality stale instead of uncertain.',
    }),
  },
  {
    ...closed,
    description: 'On bad or missing input keep publishing the last good value (quality uncertain, later stale).',
  },
);

export const CleansingRulesSchema = Type.Object(
  {
    range: Type.Optional(RangeRuleSchema),
    spike: Type.Optional(SpikeRuleSchema),
    rateOfChange: Type.Optional(RateOfChangeRuleSchema),
    smoothing: Type.Optional(SmoothingRuleSchema),
    convert: Type.Optional(ConvertRuleSchema),
    deadband: Type.Optional(DeadbandRuleSchema),
    report: Type.Optional(ReportRuleSchema),
    holdLast: Type.Optional(HoldLastRuleSchema),
  },
  {
    ...closed,
    description:
      'kedge: cleansing of this property. Stages run in this fixed order: range, spike, rateOfChange, smoothing, ' +
      'convert, deadband/report, holdLast. Numeric stages skip strings and booleans.',
  },
);
export type CleansingRules = Static<typeof CleansingRulesSchema>;
