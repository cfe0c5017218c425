import { describe, expect, it } from 'vitest';
import { UnitMemory } from './memory.js';
import { handlePdu } from './pdu.js';

const pdu = (...bytes: number[]) => Buffer.from(bytes);

describe('handlePdu', () => {
  it('FC3/FC4 read registers big-endian; swapWords swaps each pair', () => {
    const m = new UnitMemory();
    m.writeRegisters('HoldingRegister', 10, [0x1111, 0x2222, 0x3333]);
    m.writeRegisters('InputRegister', 0, [7]);
    expect(handlePdu(m, pdu(3, 0, 10, 0, 3))).toEqual(pdu(3, 6, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33));
    expect(handlePdu(m, pdu(3, 0, 10, 0, 3), { swapWords: true })).toEqual(
      pdu(3, 6, 0x22, 0x22, 0x11, 0x11, 0x33, 0x33),
    );
    expect(handlePdu(m, pdu(4, 0, 0, 0, 1))).toEqual(pdu(4, 2, 0, 7));
  });

  it('FC1/FC2 pack bits LSB first', () => {
    const m = new UnitMemory();
    m.writeBits('CoilRegister', 0, [true, false, true, false, false, false, false, false, true]);
    expect(handlePdu(m, pdu(1, 0, 0, 0, 9))).toEqual(pdu(1, 2, 0b101, 0b1));
    m.writeBits('DiscreteInputRegister', 3, [true]);
    expect(handlePdu(m, pdu(2, 0, 3, 0, 1))).toEqual(pdu(2, 1, 1));
  });

  it('FC5, FC6, FC15, FC16 write and echo', () => {
    const m = new UnitMemory();
    expect(handlePdu(m, pdu(5, 0, 4, 0xff, 0))).toEqual(pdu(5, 0, 4, 0xff, 0));
    expect(m.readBits('CoilRegister', 4, 1)).toEqual([true]);
    expect(handlePdu(m, pdu(6, 0, 2, 0x12, 0x34))).toEqual(pdu(6, 0, 2, 0x12, 0x34));
    expect(m.readRegisters('HoldingRegister', 2, 1)).toEqual([0x1234]);
    expect(handlePdu(m, pdu(15, 0, 8, 0, 3, 1, 0b110))).toEqual(pdu(15, 0, 8, 0, 3));
    expect(m.readBits('CoilRegister', 8, 3)).toEqual([false, true, true]);
    expect(handlePdu(m, pdu(16, 0, 20, 0, 2, 4, 0, 1, 0, 2))).toEqual(pdu(16, 0, 20, 0, 2));
    expect(m.readRegisters('HoldingRegister', 20, 2)).toEqual([1, 2]);
  });

  it('answers exceptions: 1 unknown function, 2 address overflow, 3 bad quantity or value', () => {
    const m = new UnitMemory();
    expect(handlePdu(m, pdu(8, 0, 0, 0, 0))).toEqual(pdu(0x88, 1));
    expect(handlePdu(m, pdu(3, 0xff, 0xff, 0, 2))).toEqual(pdu(0x83, 2));
    expect(handlePdu(m, pdu(3, 0, 0, 0, 126))).toEqual(pdu(0x83, 3));
    expect(handlePdu(m, pdu(1, 0, 0, 0x07, 0xd1))).toEqual(pdu(0x81, 3)); // 2001 bits
    expect(handlePdu(m, pdu(5, 0, 0, 0x12, 0x34))).toEqual(pdu(0x85, 3));
    expect(handlePdu(m, pdu(16, 0, 0, 0, 2, 3, 0, 1, 0))).toEqual(pdu(0x90, 3));
  });
});
