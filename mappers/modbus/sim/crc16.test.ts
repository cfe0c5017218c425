import { describe, expect, it } from 'vitest';
import { crc16, crcValid, withCrc } from './crc16.js';

describe('crc16 (Modbus)', () => {
  it('matches the check value of CRC-16/MODBUS', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
  });

  it('matches a known request frame: unit 1, FC3, address 0, 10 registers', () => {
    // 01 03 00 00 00 0A C5 CD is the textbook example
    expect(withCrc(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]))).toEqual(
      Buffer.from([1, 3, 0, 0, 0, 0x0a, 0xc5, 0xcd]),
    );
  });

  it('detects a corrupted byte', () => {
    const frame = withCrc(Buffer.from([0x11, 0x06, 0x00, 0x01, 0x00, 0x03]));
    expect(crcValid(frame)).toBe(true);
    frame[3] = frame[3]! ^ 0x10;
    expect(crcValid(frame)).toBe(false);
  });
});
