/**
 * RTU frame timing (Modbus over Serial Line spec v1.02, section 2.5.1.1): frames are separated by
 * at least 3.5 character times of silence. Above 19200 baud the spec fixes the gap at 1.75 ms,
 * because per-character timers get too short for UARTs and OS schedulers to honour.
 */
export interface SerialFraming {
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'N' | 'E' | 'O';
  stopBits?: 1 | 2;
}

/** Bits on the wire per character: start bit + data + parity + stop. */
export function bitsPerCharacter(framing: SerialFraming): number {
  const parity = framing.parity === undefined || framing.parity === 'none' || framing.parity === 'N' ? 0 : 1;
  return 1 + (framing.dataBits ?? 8) + parity + (framing.stopBits ?? 1);
}

export function characterTimeMs(framing: SerialFraming): number {
  return (bitsPerCharacter(framing) * 1000) / framing.baudRate;
}

/** Minimum silence between two frames on the line, in milliseconds. */
export function interFrameGapMs(framing: SerialFraming): number {
  if (framing.baudRate > 19200) return 1.75;
  return 3.5 * characterTimeMs(framing);
}
