import { describe, expect, it } from 'vitest';
import { bitsPerCharacter, interFrameGapMs } from './rtu-timing.js';

describe('RTU inter-frame gap', () => {
  it('counts start, data, parity and stop bits', () => {
    expect(bitsPerCharacter({ baudRate: 9600 })).toBe(10);
    expect(bitsPerCharacter({ baudRate: 9600, parity: 'even' })).toBe(11);
    expect(bitsPerCharacter({ baudRate: 9600, parity: 'N', stopBits: 2 })).toBe(11);
    expect(bitsPerCharacter({ baudRate: 9600, dataBits: 7, parity: 'O' })).toBe(10);
  });

  it('is 3.5 character times up to 19200 baud', () => {
    expect(interFrameGapMs({ baudRate: 9600 })).toBeCloseTo(3.6458, 3);
    expect(interFrameGapMs({ baudRate: 19200, parity: 'even' })).toBeCloseTo(2.0052, 3);
    expect(interFrameGapMs({ baudRate: 1200, parity: 'even' })).toBeCloseTo(32.083, 2);
  });

  it('is fixed at 1.75 ms above 19200 baud', () => {
    expect(interFrameGapMs({ baudRate: 38400 })).toBe(1.75);
    expect(interFrameGapMs({ baudRate: 115200, parity: 'even', stopBits: 2 })).toBe(1.75);
  });
});
