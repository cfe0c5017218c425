/**
 * Modbus PDU handling for the simulator (function code + data, no framing): FC1-6, FC15, FC16.
 * Limits and exception codes follow the Modbus Application Protocol spec v1.1b3, section 6.
 */
import type { RegisterTable } from '../decode-spec.js';
import type { UnitMemory } from './memory.js';

export interface PduOptions {
  /** Answer register reads with each pair of words swapped (a device with the "other" word order). */
  swapWords?: boolean;
}

export function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}

const READ_TABLES: Readonly<Record<number, RegisterTable>> = {
  1: 'CoilRegister',
  2: 'DiscreteInputRegister',
  3: 'HoldingRegister',
  4: 'InputRegister',
};

export function handlePdu(memory: UnitMemory, pdu: Buffer, options: PduOptions = {}): Buffer {
  const fc = pdu[0] ?? 0;
  if (pdu.length < 5) return exceptionPdu(fc, 3);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  switch (fc) {
    case 1:
    case 2:
      return readBits(memory, READ_TABLES[fc]!, fc, address, quantity);
    case 3:
    case 4:
      return readRegisters(memory, READ_TABLES[fc]!, fc, address, quantity, options);
    case 5:
      return writeSingleCoil(memory, pdu, address, quantity);
    case 6:
      memory.writeRegisters('HoldingRegister', address, [quantity]);
      return Buffer.from(pdu.subarray(0, 5));
    case 15:
      return writeMultipleCoils(memory, pdu, address, quantity);
    case 16:
      return writeMultipleRegisters(memory, pdu, address, quantity);
    default:
      return exceptionPdu(fc, 1);
  }
}

function rangeError(fc: number, address: number, quantity: number, max: number): Buffer | undefined {
  if (quantity < 1 || quantity > max) return exceptionPdu(fc, 3);
  if (address + quantity > 65536) return exceptionPdu(fc, 2);
  return undefined;
}

function readBits(memory: UnitMemory, table: RegisterTable, fc: number, address: number, quantity: number): Buffer {
  const bad = rangeError(fc, address, quantity, 2000);
  if (bad) return bad;
  const bits = memory.readBits(table, address, quantity);
  const bytes = Buffer.alloc(Math.ceil(quantity / 8));
  bits.forEach((on, i) => {
    if (on) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
}

function readRegisters(
  memory: UnitMemory,
  table: RegisterTable,
  fc: number,
  address: number,
  quantity: number,
  options: PduOptions,
): Buffer {
  const bad = rangeError(fc, address, quantity, 125);
  if (bad) return bad;
  const regs = memory.readRegisters(table, address, quantity);
  if (options.swapWords) {
    for (let i = 0; i + 1 < regs.length; i += 2) [regs[i], regs[i + 1]] = [regs[i + 1]!, regs[i]!];
  }
  const out = Buffer.alloc(2 + quantity * 2);
  out[0] = fc;
  out[1] = quantity * 2;
  for (const [i, r] of regs.entries()) out.writeUInt16BE(r, 2 + i * 2);
  return out;
}

function writeSingleCoil(memory: UnitMemory, pdu: Buffer, address: number, value: number): Buffer {
  if (value !== 0xff00 && value !== 0x0000) return exceptionPdu(5, 3);
  memory.writeBits('CoilRegister', address, [value === 0xff00]);
  return Buffer.from(pdu.subarray(0, 5));
}

function writeMultipleCoils(memory: UnitMemory, pdu: Buffer, address: number, quantity: number): Buffer {
  const bad = rangeError(15, address, quantity, 1968);
  if (bad) return bad;
  const byteCount = pdu[5] ?? 0;
  if (byteCount !== Math.ceil(quantity / 8) || pdu.length < 6 + byteCount) return exceptionPdu(15, 3);
  const values = Array.from({ length: quantity }, (_, i) => ((pdu[6 + (i >> 3)]! >> (i & 7)) & 1) === 1);
  memory.writeBits('CoilRegister', address, values);
  return Buffer.from(pdu.subarray(0, 5));
}

function writeMultipleRegisters(memory: UnitMemory, pdu: Buffer, address: number, quantity: number): Buffer {
  const bad = rangeError(16, address, quantity, 123);
  if (bad) return bad;
  const byteCount = pdu[5] ?? 0;
  if (byteCount !== quantity * 2 || pdu.length < 6 + byteCount) return exceptionPdu(16, 3);
  const values = Array.from({ length: quantity }, (_, i) => pdu.readUInt16BE(6 + i * 2));
  memory.writeRegisters('HoldingRegister', address, values);
  return Buffer.from(pdu.subarray(0, 5));
}
