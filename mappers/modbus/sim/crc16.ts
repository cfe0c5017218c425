/** CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF; sent low byte first. */
export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Appends the CRC (little-endian) to an RTU frame body. */
export function withCrc(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length + 2);
  body.copy(out);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}

export function crcValid(frame: Buffer): boolean {
  if (frame.length < 4) return false;
  return crc16(frame.subarray(0, -2)) === frame.readUInt16LE(frame.length - 2);
}
