import { describe, expect, it } from 'vitest';
import { parseScript } from './script.js';

describe('parseScript', () => {
  it('reads pin:level@ms steps sorted by time', () => {
    expect(parseScript('17:0@1000, 17:1@500,')).toEqual([
      { pin: 17, level: 1, atMs: 500 },
      { pin: 17, level: 0, atMs: 1000 },
    ]);
  });

  it('names the bad step', () => {
    expect(() => parseScript('17:1@500,17=0')).toThrow(/script step "17=0" is not <pin>:<0\|1>@<ms>/);
  });
});
