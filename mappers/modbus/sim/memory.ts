import type { RegisterTable } from '../decode-spec.js';

/** The four Modbus tables of one simulated unit, full 0..65535 address space each. */
export class UnitMemory {
  readonly coils = new Uint8Array(65536);
  readonly discreteInputs = new Uint8Array(65536);
  readonly holdingRegisters = new Uint16Array(65536);
  readonly inputRegisters = new Uint16Array(65536);

  registers(table: RegisterTable): Uint16Array {
    return table === 'InputRegister' ? this.inputRegisters : this.holdingRegisters;
  }

  bits(table: RegisterTable): Uint8Array {
    return table === 'DiscreteInputRegister' ? this.discreteInputs : this.coils;
  }

  readRegisters(table: RegisterTable, offset: number, count: number): number[] {
    return Array.from(this.registers(table).subarray(offset, offset + count));
  }

  writeRegisters(table: RegisterTable, offset: number, values: readonly number[]): void {
    this.registers(table).set(
      values.map((v) => v & 0xffff),
      offset,
    );
  }

  readBits(table: RegisterTable, offset: number, count: number): boolean[] {
    return Array.from(this.bits(table).subarray(offset, offset + count), (b) => b !== 0);
  }

  writeBits(table: RegisterTable, offset: number, values: readonly boolean[]): void {
    this.bits(table).set(
      values.map((v) => (v ? 1 : 0)),
      offset,
    );
  }
}
