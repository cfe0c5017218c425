import { describe, expect, it } from 'vitest';
import * as modbus from './index.js';

describe('mappers/modbus public face', () => {
  it('exports every piece', () => {
    const exported = new Map<string, unknown>(Object.entries(modbus));
    for (const name of [
      'decodeRegisters',
      'encodeRegisters',
      'deriveDecodeSpec',
      'planReads',
      'interFrameGapMs',
      'LineQueue',
      'ModbusTransport',
    ] as const) {
      expect(typeof exported.get(name)).toBe('function');
    }
    expect(typeof modbus.sim.ModbusSim).toBe('function');
    expect(typeof modbus.sim.openPtyPair).toBe('function');
  });

  it('the pieces fit: a visitor becomes a decode spec, a plan, and a decoded value', () => {
    const spec = modbus.deriveDecodeSpec({
      register: 'HoldingRegister',
      offset: 4,
      dataType: 'float',
      limit: 2,
      isRegisterSwap: true,
    });
    const [req] = modbus.planReads([{ key: 'temp', table: spec.table, offset: spec.offset, count: spec.count }]);
    expect(req).toMatchObject({ table: 'HoldingRegister', offset: 4, count: 2 });
    const wire = modbus.encodeRegisters(19.25, spec);
    expect(modbus.decodeRegisters(wire, spec)).toBe(19.25);
  });
});
