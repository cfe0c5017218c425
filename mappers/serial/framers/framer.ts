import type { NmeaSentence } from '../nmea.js';

/** Why bytes from the line were thrown away; each is a label of the bad-frame counter. */
export type RejectReason = 'overlong' | 'garbage' | 'checksum' | 'malformed' | 'unmatched';

export interface Frame {
  /** The frame's bytes as latin1 text (one character per byte), delimiter removed. */
  text: string;
  /** Set by the NMEA framer for a sentence with a good checksum. */
  nmea?: NmeaSentence;
}

export interface FrameReject {
  reason: RejectReason;
  /** Why, for logs (shortened). */
  detail: string;
}

export interface FramerOutput {
  frames: Frame[];
  rejects: FrameReject[];
}

/**
 * Cuts a byte stream into frames. Pure and synchronous: bytes in, frames and rejects out, so each
 * framer is tested without a port. Buffers are bounded: a device that never sends the delimiter
 * costs at most `maxFrameBytes` of memory, never more.
 */
export interface Framer {
  push(chunk: Buffer): FramerOutput;
  /** Forgets buffered bytes (after the port reopens: a half frame from before is garbage). */
  reset(): void;
}

export const DEFAULT_MAX_FRAME_BYTES = 1024;

export function output(): FramerOutput {
  return { frames: [], rejects: [] };
}

/** A sample of rejected bytes for the log: short, control characters visible. */
export function sample(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(cut);
}
