import type { Level } from '../backend.js';

/**
 * The control channel between `kedge sim gpio` (server, owns the levels) and the driver's sim
 * backend or a `--toggle` client: one JSON object per line over a unix socket.
 */
export type SimRequest =
  | { id: number; op: 'get'; pin: number }
  | { id: number; op: 'set'; pin: number; level: Level }
  | { id: number; op: 'toggle'; pin: number };

export type SimReply = { id: number; ok: true; level: Level } | { id: number; ok: false; error: string };

/** Broadcast to every client on each physical change. */
export interface SimEvent {
  event: 'level';
  pin: number;
  level: Level;
}

export function isLevel(v: unknown): v is Level {
  return v === 0 || v === 1;
}

/** Splits a socket stream into JSON lines; a line that is not JSON goes to `bad`. */
export function jsonLines(onMessage: (m: unknown) => void, bad: (line: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('utf8');
    if (buffer.length > 65_536) {
      bad(buffer.slice(0, 80));
      buffer = '';
      return;
    }
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line === '') continue;
      try {
        onMessage(JSON.parse(line));
      } catch {
        bad(line);
      }
    }
  };
}
