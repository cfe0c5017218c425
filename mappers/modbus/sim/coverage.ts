/**
 * Which addresses of a unit are implemented, for the simulator's strict mode. Real devices answer
 * exception 2 (Illegal Data Address) to a request that touches any register they do not implement,
 * even when every requested property exists: a merged read that bridges a gap fails as a whole.
 * The simulator serves the full 0..65535 space by default; strict mode makes it behave like them.
 */
import { registerCount } from '../codec.js';
import { isBitTable, type RegisterTable } from '../decode-spec.js';
import type { SimPoint } from './points.js';

const TABLE_OF_FC: Readonly<Record<number, RegisterTable>> = {
  1: 'CoilRegister',
  2: 'DiscreteInputRegister',
  3: 'HoldingRegister',
  4: 'InputRegister',
  5: 'CoilRegister',
  6: 'HoldingRegister',
  15: 'CoilRegister',
  16: 'HoldingRegister',
};

export class AddressCoverage {
  private readonly tables = new Map<RegisterTable, Uint8Array>();

  add(point: Pick<SimPoint, 'table' | 'offset' | 'rawType' | 'stringRegisters'>): void {
    const count = isBitTable(point.table) ? 1 : registerCount(point);
    let map = this.tables.get(point.table);
    if (!map) {
      map = new Uint8Array(65536);
      this.tables.set(point.table, map);
    }
    map.fill(1, point.offset, point.offset + count);
  }

  /**
   * True when the request's function code is not a table access (left to the PDU handler) or every
   * address it touches is implemented. FC5/FC6 carry a value where others carry a quantity.
   */
  covers(pdu: Buffer): boolean {
    const fc = pdu[0] ?? 0;
    const table = TABLE_OF_FC[fc];
    if (!table || pdu.length < 5) return true;
    const address = pdu.readUInt16BE(1);
    const count = fc === 5 || fc === 6 ? 1 : pdu.readUInt16BE(3);
    const map = this.tables.get(table);
    if (!map) return false;
    for (let a = address; a < address + count; a++) if (map[a] !== 1) return false;
    return true;
  }
}
