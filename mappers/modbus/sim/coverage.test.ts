import { describe, expect, it } from 'vitest';
import { AddressCoverage } from './coverage.js';

const pdu = (fc: number, address: number, quantity: number) => {
  const b = Buffer.alloc(5);
  b[0] = fc;
  b.writeUInt16BE(address, 1);
  b.writeUInt16BE(quantity, 3);
  return b;
};

describe('AddressCoverage (strict simulator addresses)', () => {
  const coverage = new AddressCoverage();
  coverage.add({ table: 'HoldingRegister', offset: 0, rawType: 'float32' });
  coverage.add({ table: 'HoldingRegister', offset: 10, rawType: 'uint16' });
  coverage.add({ table: 'InputRegister', offset: 5, rawType: 'string', stringRegisters: 3 });
  coverage.add({ table: 'CoilRegister', offset: 3, rawType: 'bool' });
  coverage.add({ table: 'CoilRegister', offset: 4, rawType: 'bool' });

  it('covers a request inside modeled points, across adjacent points', () => {
    expect(coverage.covers(pdu(3, 0, 2))).toBe(true);
    expect(coverage.covers(pdu(4, 5, 3))).toBe(true);
    expect(coverage.covers(pdu(1, 3, 2))).toBe(true);
    expect(coverage.covers(pdu(15, 3, 2))).toBe(true);
  });

  it('refuses a request that bridges an unmodeled gap or runs past a point', () => {
    expect(coverage.covers(pdu(3, 0, 11))).toBe(false);
    expect(coverage.covers(pdu(4, 5, 4))).toBe(false);
    expect(coverage.covers(pdu(1, 2, 2))).toBe(false);
  });

  it('reads FC5/FC6 as one address (their second field is the value) and knows tables apart', () => {
    expect(coverage.covers(pdu(5, 4, 0xff00))).toBe(true);
    expect(coverage.covers(pdu(6, 10, 500))).toBe(true);
    expect(coverage.covers(pdu(6, 11, 1))).toBe(false);
    expect(coverage.covers(pdu(2, 3, 1))).toBe(false);
  });

  it('leaves function codes that are no table access to the PDU handler', () => {
    expect(coverage.covers(pdu(43, 0, 0))).toBe(true);
  });
});
