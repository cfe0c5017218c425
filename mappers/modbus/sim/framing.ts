/**
 * Server-side framing. TCP: MBAP header (transaction id, protocol 0, length, unit id) + PDU.
 * RTU (serial, or RTU over TCP): unit + PDU + CRC-16. A stream carries no frame boundaries we can
 * trust (pseudo-terminals and TCP re-chunk bytes, so 3.5-character silences are not observable),
 * so request lengths are derived from the function code, and a bad CRC drops one byte to resync.
 */
import { crcValid, withCrc } from './crc16.js';

export interface MbapFrame {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

export interface RtuFrame {
  unit: number;
  pdu: Buffer;
}

/** Takes complete MBAP frames off the front of `buffer`; returns them and the unread rest. */
export function takeMbapFrames(buffer: Buffer): { frames: MbapFrame[]; rest: Buffer } {
  const frames: MbapFrame[] = [];
  let at = 0;
  while (buffer.length - at >= 7) {
    const length = buffer.readUInt16BE(at + 4);
    if (length < 2 || length > 254) return { frames, rest: Buffer.alloc(0) }; // garbage: drop the stream state
    if (buffer.length - at < 6 + length) break;
    frames.push({
      transactionId: buffer.readUInt16BE(at),
      unit: buffer[at + 6]!,
      pdu: Buffer.from(buffer.subarray(at + 7, at + 6 + length)),
    });
    at += 6 + length;
  }
  return { frames, rest: Buffer.from(buffer.subarray(at)) };
}

export function mbapResponse(transactionId: number, unit: number, pdu: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt16BE(transactionId, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt16BE(pdu.length + 1, 4);
  header[6] = unit;
  return Buffer.concat([header, pdu]);
}

/** Length of an RTU request frame starting at `at`, or undefined while too few bytes are in. */
function rtuRequestLength(buffer: Buffer, at: number): number | undefined {
  const fc = buffer[at + 1];
  if (fc === undefined) return undefined;
  if (fc === 15 || fc === 16) {
    const byteCount = buffer[at + 6];
    return byteCount === undefined ? undefined : 9 + byteCount;
  }
  return 8; // FC1-6 and anything unknown (answered with exception 1)
}

export function takeRtuFrames(buffer: Buffer): { frames: RtuFrame[]; rest: Buffer } {
  const frames: RtuFrame[] = [];
  let at = 0;
  for (;;) {
    const length = rtuRequestLength(buffer, at);
    if (length === undefined || buffer.length - at < length) break;
    const frame = buffer.subarray(at, at + length);
    if (!crcValid(frame)) {
      at += 1; // noise or a partial frame: slide one byte and look again
      continue;
    }
    frames.push({ unit: frame[0]!, pdu: Buffer.from(frame.subarray(1, -2)) });
    at += length;
  }
  return { frames, rest: Buffer.from(buffer.subarray(at)) };
}

export function rtuResponse(unit: number, pdu: Buffer): Buffer {
  return withCrc(Buffer.concat([Buffer.from([unit]), pdu]));
}
