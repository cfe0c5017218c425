import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** One encoded message held for the broker, with the readings it carries (for counting drops). */
export interface HeldMessage {
  topic: string;
  payload: Buffer;
  readings: number;
}

/** Per message besides topic and payload: the array slot, the object, the Buffer header. */
const OVERHEAD = 96;

const sizeOf = (m: HeldMessage) => m.payload.length + m.topic.length + OVERHEAD;

/**
 * Readings a mapper polled while its broker (the edge) was away, in memory, oldest first, bounded
 * by `maxBytes`: beyond it the oldest are dropped and counted per reading. Written to a small file
 * when the mapper stops with readings still held (an orphan the restarted edge stops with SIGTERM),
 * and read back, oldest first, by the next mapper of the same name.
 */
export class OfflineBuffer {
  private items: HeldMessage[] = [];
  private head = 0;
  private heldBytes = 0;
  private heldReadings = 0;
  droppedReadings = 0;
  droppedMessages = 0;

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get readings(): number {
    return this.heldReadings;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Holds `m` after the others; returns the readings dropped to make room (oldest first). */
  push(m: HeldMessage): number {
    const size = sizeOf(m);
    let dropped = 0;
    while (this.length > 0 && this.heldBytes + size > this.maxBytes) dropped += this.drop();
    if (size > this.maxBytes) {
      this.droppedReadings += m.readings;
      this.droppedMessages++;
      return dropped + m.readings;
    }
    this.items.push(m);
    this.heldBytes += size;
    this.heldReadings += m.readings;
    return dropped;
  }

  /** Puts messages of an earlier run before everything held now (they are older). */
  prepend(messages: HeldMessage[]): number {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.heldBytes = 0;
    this.heldReadings = 0;
    let dropped = 0;
    for (const m of [...messages, ...rest]) dropped += this.push(m);
    return dropped;
  }

  peek(): HeldMessage | undefined {
    return this.items[this.head];
  }

  shift(): HeldMessage | undefined {
    const m = this.items[this.head];
    if (!m) return undefined;
    this.items[this.head++] = undefined as unknown as HeldMessage;
    this.heldBytes -= sizeOf(m);
    this.heldReadings -= m.readings;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return m;
  }

  /** Everything held, oldest first, emptying the buffer. */
  takeAll(): HeldMessage[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.heldBytes = 0;
    this.heldReadings = 0;
    return all;
  }

  private drop(): number {
    const m = this.shift()!;
    this.droppedReadings += m.readings;
    this.droppedMessages++;
    return m.readings;
  }
}

/**
 * The spill file: one message per line, `<readings>\t<topic>\t<payload>` (topics and the JSON
 * payloads a mapper sends hold no tab or newline). Written to a temporary name and renamed, so a
 * crash while writing leaves the previous state, never half a file.
 */
export function spill(file: string, messages: HeldMessage[], droppedReadings = 0): void {
  const lines = messages.map((m) => `${m.readings}\t${m.topic}\t${m.payload.toString('utf8')}\n`);
  writeFileSync(`${file}.tmp`, `${DROPPED}\t${droppedReadings}\n${lines.join('')}`);
  renameSync(`${file}.tmp`, file);
}

/** The first line: readings the run that wrote the file dropped beyond its bound (its losses, for the next run to report). */
const DROPPED = '#dropped';

/** Reads and removes the spill file; [] when there is none. Malformed lines are skipped and counted. */
export function unspill(file: string): { messages: HeldMessage[]; malformed: number; droppedReadings: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { messages: [], malformed: 0, droppedReadings: 0 };
  }
  rmSync(file, { force: true });
  const messages: HeldMessage[] = [];
  let malformed = 0;
  let droppedReadings = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(`${DROPPED}\t`)) {
      droppedReadings = Number(line.slice(DROPPED.length + 1)) || 0;
      continue;
    }
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    const readings = Number(line.slice(0, a));
    if (b < 0 || !Number.isInteger(readings) || readings < 0) {
      malformed++;
      continue;
    }
    messages.push({ readings, topic: line.slice(a + 1, b), payload: Buffer.from(line.slice(b + 1), 'utf8') });
  }
  return { messages, malformed, droppedReadings };
}
