import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { checker, compiledCheck, firstProblem, jsonChecker } from './index.js';

const Point = Type.Object({ x: Type.Number(), tags: Type.Array(Type.String()) });

describe('schema checks', () => {
  it('passes a matching value through, typed', () => {
    const r = checker(Point)({ x: 1, tags: ['a'] });
    expect(r).toEqual({ ok: true, value: { x: 1, tags: ['a'] } });
  });

  it('names the first bad field, with the label when given', () => {
    expect(checker(Point)({ x: 1, tags: ['a', 2] })).toEqual({
      ok: false,
      reason: 'field /tags/1: Expected string',
    });
    expect(checker(Point, 'content')({ tags: [] })).toEqual({
      ok: false,
      reason: 'content field /x: Expected required property',
    });
    expect(firstProblem(Point, 'nope')).toBe('field /: Expected object');
    expect(firstProblem(Point, { x: 2, tags: [] })).toBeUndefined();
  });

  it('reads JSON text and says when it is malformed', () => {
    const check = jsonChecker(Point);
    expect(check(Buffer.from('{"x":3,"tags":[]}'))).toEqual({ ok: true, value: { x: 3, tags: [] } });
    const bad = check('{"x":');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^malformed JSON: /);
  });

  it('compiles a schema once, however many checkers use it', () => {
    expect(compiledCheck(Point)).toBe(compiledCheck(Point));
    expect(compiledCheck(Point)).not.toBe(compiledCheck(Type.Object({ x: Type.Number() })));
  });
});
