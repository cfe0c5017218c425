import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  CleansingRulesSchema,
  QualitySchema,
  checkCleansingRules,
  validateCleansingRules,
  type CleansingRules,
} from './index.js';

const documented: CleansingRules = {
  range: { min: -40, max: 125, action: 'reject' },
  spike: { maxStep: 10 },
  rateOfChange: { maxPerSecond: 2 },
  smoothing: { method: 'movingAverage', window: 5 },
  convert: { scale: 1.8, offset: 32, unit: 'degF' },
  deadband: { absolute: 0.5 },
  report: { onChange: true, maxSilenceMs: 60000 },
  holdLast: { staleAfterMs: 10000 },
};

describe('CleansingRulesSchema', () => {
  it.each<[string, unknown]>([
    ['the example of docs/architecture.md', documented],
    ['no rules', {}],
    ['ema', { smoothing: { method: 'ema', alpha: 0.3 } }],
    ['ema alpha 1', { smoothing: { method: 'ema', alpha: 1 } }],
    ['percent deadband', { deadband: { percent: 1 } }],
    ['range with only max, clamp', { range: { max: 10, action: 'clamp' } }],
    ['convert without offset', { convert: { scale: 0.1 } }],
    ['report heartbeat only', { report: { maxSilenceMs: 1000 } }],
  ])('accepts %s', (_name, rules) => {
    expect(Value.Check(CleansingRulesSchema, rules)).toBe(true);
    expect(validateCleansingRules(rules)).toEqual([]);
  });

  it.each<[string, unknown, (string | number)[], RegExp]>([
    [
      'a misspelt stage',
      { rnage: { min: 0, action: 'reject' } },
      ['rnage'],
      /unknown field rnage; expected one of range, spike/,
    ],
    [
      'a misspelt field',
      { range: { minimum: 0, action: 'reject' } },
      ['range', 'minimum'],
      /unknown field range.minimum; expected one of min, max, action/,
    ],
    [
      'an unknown action',
      { range: { min: 0, action: 'drop' } },
      ['range', 'action'],
      /range.action must be one of reject, clamp \(got "drop"\)/,
    ],
    ['a missing action', { range: { min: 0 } }, ['range', 'action'], /range.action is required/],
    [
      'maxStep 0',
      { spike: { maxStep: 0 } },
      ['spike', 'maxStep'],
      /spike.maxStep: expected number to be greater than 0/,
    ],
    [
      'negative maxPerSecond',
      { rateOfChange: { maxPerSecond: -1 } },
      ['rateOfChange', 'maxPerSecond'],
      /greater than 0/,
    ],
    [
      'window 1',
      { smoothing: { method: 'movingAverage', window: 1 } },
      ['smoothing', 'window'],
      /greater or equal to 2/,
    ],
    [
      'window 1001',
      { smoothing: { method: 'movingAverage', window: 1001 } },
      ['smoothing', 'window'],
      /less or equal to 1000/,
    ],
    ['fractional window', { smoothing: { method: 'movingAverage', window: 2.5 } }, ['smoothing', 'window'], /integer/],
    ['alpha 0', { smoothing: { method: 'ema', alpha: 0 } }, ['smoothing', 'alpha'], /greater than 0/],
    ['alpha above 1', { smoothing: { method: 'ema', alpha: 1.5 } }, ['smoothing', 'alpha'], /less or equal to 1/],
    [
      'unknown smoothing method',
      { smoothing: { method: 'median', window: 3 } },
      ['smoothing', 'method'],
      /one of movingAverage, ema/,
    ],
    ['negative absolute deadband', { deadband: { absolute: -1 } }, ['deadband', 'absolute'], /greater or equal to 0/],
    ['percent above 100', { deadband: { percent: 101 } }, ['deadband', 'percent'], /less or equal to 100/],
    ['maxSilenceMs 0', { report: { maxSilenceMs: 0 } }, ['report', 'maxSilenceMs'], /greater than 0/],
    ['onChange as a string', { report: { onChange: 'yes' } }, ['report', 'onChange'], /expected boolean \(got "yes"\)/],
    ['staleAfterMs missing', { holdLast: {} }, ['holdLast', 'staleAfterMs'], /holdLast.staleAfterMs is required/],
    ['not an object', 5, [], /cleansing: expected object/],
  ])('rejects %s', (_name, rules, path, message) => {
    expect(Value.Check(CleansingRulesSchema, rules)).toBe(false);
    const problems = validateCleansingRules(rules);
    expect(problems[0]?.path).toEqual(path);
    expect(problems[0]?.message).toMatch(message);
  });

  it('reports each faulty field once', () => {
    const problems = validateCleansingRules({ spike: {}, holdLast: {} });
    expect(problems.map((p) => p.path)).toEqual([
      ['spike', 'maxStep'],
      ['holdLast', 'staleAfterMs'],
    ]);
  });

  it('has a description on every field', () => {
    const missing: string[] = [];
    const visit = (schema: Record<string, unknown>, where: string): void => {
      if (typeof schema['description'] !== 'string' || schema['description'] === '') missing.push(where);
      const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
      for (const [name, child] of Object.entries(properties ?? {})) visit(child, `${where}.${name}`);
    };
    visit(CleansingRulesSchema as unknown as Record<string, unknown>, 'cleansing');
    expect(missing).toEqual([]);
  });

  it('closes every object so typos are errors', () => {
    const open: string[] = [];
    const visit = (schema: Record<string, unknown>, where: string): void => {
      const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
      if (!properties) return;
      if (schema['additionalProperties'] !== false) open.push(where);
      for (const [name, child] of Object.entries(properties)) visit(child, `${where}.${name}`);
    };
    visit(CleansingRulesSchema as unknown as Record<string, unknown>, 'cleansing');
    expect(open).toEqual([]);
  });
});

describe('QualitySchema', () => {
  it('accepts the four qualities and nothing else', () => {
    for (const q of ['good', 'bad', 'uncertain', 'stale']) expect(Value.Check(QualitySchema, q)).toBe(true);
    expect(Value.Check(QualitySchema, 'ok')).toBe(false);
  });
});

describe('checkCleansingRules', () => {
  it.each<[string, CleansingRules, (string | number)[], RegExp]>([
    [
      'min above max',
      { range: { min: 10, max: 0, action: 'reject' } },
      ['range', 'min'],
      /range.min \(10\) must not be greater than range.max \(0\)/,
    ],
    ['range without bounds', { range: { action: 'clamp' } }, ['range'], /needs min, max or both/],
    [
      'window with ema',
      { smoothing: { method: 'ema', alpha: 0.5, window: 3 } },
      ['smoothing', 'window'],
      /window belongs to method movingAverage; method ema takes alpha/,
    ],
    ['ema without alpha', { smoothing: { method: 'ema' } }, ['smoothing', 'alpha'], /needs alpha in \(0, 1\]/],
    [
      'alpha with movingAverage',
      { smoothing: { method: 'movingAverage', window: 3, alpha: 0.5 } },
      ['smoothing', 'alpha'],
      /alpha belongs to method ema/,
    ],
    [
      'movingAverage without window',
      { smoothing: { method: 'movingAverage' } },
      ['smoothing', 'window'],
      /needs window \(2..1000\)/,
    ],
    ['both deadbands', { deadband: { absolute: 1, percent: 1 } }, ['deadband'], /exactly one of absolute or percent/],
    ['empty deadband', { deadband: {} }, ['deadband'], /exactly one of absolute or percent/],
    ['scale 0', { convert: { scale: 0, offset: 3 } }, ['convert', 'scale'], /must not be 0/],
  ])('reports %s', (_name, rules, path, message) => {
    const problems = checkCleansingRules(rules);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(path);
    expect(problems[0]?.message).toMatch(message);
  });

  it('accepts min equal to max and the documented example', () => {
    expect(checkCleansingRules({ range: { min: 5, max: 5, action: 'clamp' } })).toEqual([]);
    expect(checkCleansingRules(documented)).toEqual([]);
  });

  it('is run by validateCleansingRules once the schema passes', () => {
    expect(validateCleansingRules({ range: { min: 3, max: 1, action: 'reject' } })).toEqual([
      { path: ['range', 'min'], message: 'range.min (3) must not be greater than range.max (1)' },
    ]);
  });
});
