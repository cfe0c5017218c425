import { describe, expect, it } from 'vitest';
import { DelimiterFramer } from './delimiter.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('DelimiterFramer', () => {
  it('joins frames split across chunks and splits several in one chunk', () => {
    const f = new DelimiterFramer({ delimiter: '\r\n' });
    expect(f.push(b('T=21.')).frames).toEqual([]);
    expect(f.push(b('5\r')).frames).toEqual([]);
    expect(f.push(b('\nT=21.6\r\nT=2')).frames.map((x) => x.text)).toEqual(['T=21.5', 'T=21.6']);
    expect(f.push(b('1.7\r\n')).frames.map((x) => x.text)).toEqual(['T=21.7']);
  });

  it('skips empty frames and drops a trailing CR when asked', () => {
    const f = new DelimiterFramer({ delimiter: '\n', trimCr: true });
    expect(f.push(b('\n\r\nA\r\nB\n')).frames.map((x) => x.text)).toEqual(['A', 'B']);
  });

  it('bounds the buffer: a line without delimiter is rejected once, its tail dropped, the next line read', () => {
    const f = new DelimiterFramer({ delimiter: '\n', maxFrameBytes: 16 });
    const first = f.push(b('x'.repeat(20)));
    expect(first.rejects.map((r) => r.reason)).toEqual(['overlong']);
    expect(f.push(b('y'.repeat(40))).rejects).toEqual([]);
    const after = f.push(b('tail\nOK\n'));
    expect(after.frames.map((x) => x.text)).toEqual(['OK']);
    expect(after.rejects).toEqual([]);
  });

  it('rejects an over-long frame that arrives whole in one chunk', () => {
    const f = new DelimiterFramer({ delimiter: '\n', maxFrameBytes: 4 });
    const out = f.push(b('123456\nabc\n'));
    expect(out.rejects.map((r) => r.reason)).toEqual(['overlong']);
    expect(out.frames.map((x) => x.text)).toEqual(['abc']);
  });

  it('keeps a partial multi-byte delimiter at the buffer bound', () => {
    const f = new DelimiterFramer({ delimiter: '\r\n', maxFrameBytes: 4 });
    expect(f.push(b('abcdefgh\r')).rejects.map((r) => r.reason)).toEqual(['overlong']);
    expect(f.push(b('\nok\r\n')).frames.map((x) => x.text)).toEqual(['ok']);
  });

  it('forgets a half frame on reset', () => {
    const f = new DelimiterFramer({ delimiter: '\n' });
    f.push(b('half'));
    f.reset();
    expect(f.push(b('whole\n')).frames.map((x) => x.text)).toEqual(['whole']);
  });
});
