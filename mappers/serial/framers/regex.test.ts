import { describe, expect, it } from 'vitest';
import { RegexFramer } from './regex.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('RegexFramer', () => {
  it('takes a match once a byte follows it, so a number can still grow', () => {
    const f = new RegexFramer('W=\\d+g');
    expect(f.push(b('W=12')).frames).toEqual([]);
    expect(f.push(b('3g')).frames).toEqual([]);
    expect(f.push(b(' W=7g ')).frames.map((x) => x.text)).toEqual(['W=123g', 'W=7g']);
  });

  it('counts non-blank bytes between matches as garbage', () => {
    const f = new RegexFramer('<[^>]*>');
    const out = f.push(b('<a>zz<b>  <c>\n'));
    expect(out.frames.map((x) => x.text)).toEqual(['<a>', '<b>', '<c>']);
    expect(out.rejects.map((r) => r.reason)).toEqual(['garbage']);
  });

  it('bounds the buffer when nothing matches', () => {
    const f = new RegexFramer('<[^>]*>', 8);
    expect(f.push(b('no frames at all here')).rejects.map((r) => r.reason)).toEqual(['overlong']);
    expect(f.push(b('<ok>.')).frames.map((x) => x.text)).toEqual(['<ok>']);
  });
});
