import type { DriverReading } from './driver.js';
import type { RawReading } from '../../src/contracts/index.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

const QUALITY: Record<string, Uint8Array> = {
  good: bytes(',"quality":"good"'),
  bad: bytes(',"quality":"bad"'),
  uncertain: bytes(',"quality":"uncertain"'),
};
const VALUE = bytes(',"value":');
const TS = bytes(',"ts":');
const REASON = bytes(',"reason":');
const CODE = bytes(',"code":');
const TRUE = bytes('true');
const FALSE = bytes('false');
const NULL = bytes('null');
const DIGIT_0 = 48;
const COMMA = 44;
const CLOSE = 125; // }
/** Property names seen are kept as their encoded `{"property":"name"` start, up to this many. */
const MAX_NAMES = 4096;

export function toRaw(r: DriverReading): RawReading {
  const raw: RawReading = { property: r.property, value: r.value, quality: r.quality, ts: r.ts };
  if (r.reason !== undefined) raw.reason = r.reason;
  if (r.code !== undefined) raw.code = r.code;
  return raw;
}

/**
 * Writes a mapper's data update (`{event_id, timestamp, readings: readings.map(toRaw)}`) straight
 * into bytes, equal byte for byte to `Buffer.from(JSON.stringify(...))`. This is the mapper's hot
 * path (one message per device per poll, 10,000 readings/s in the benchmark): building the JSON
 * as strings allocated about 25 KB of short-lived strings per 50-reading message, half of all the
 * mapper allocated, and garbage collection was a third of its CPU (bench/RESULTS.md "Modbus").
 * Here a message allocates its one result Buffer: property names are encoded once, integers are
 * written digit by digit, and only fractional numbers and string values go through a string.
 */
export class DataUpdateEncoder {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private len = 0;
  private readonly names = new Map<string, Uint8Array>();

  encode(eventId: string, timestamp: number, readings: readonly DriverReading[]): Buffer {
    this.len = 0;
    this.text(`{"event_id":${JSON.stringify(eventId)},"timestamp":`);
    this.number(timestamp);
    this.text(',"readings":[');
    for (let i = 0; i < readings.length; i++) {
      if (i > 0) this.byte(COMMA);
      this.reading(readings[i]!);
    }
    this.text(']}');
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  private reading(r: DriverReading): void {
    if (typeof r.property !== 'string') {
      this.text(JSON.stringify(toRaw(r))); // never from a typed driver
      return;
    }
    this.bytes(this.nameStart(r.property));
    if (r.value !== undefined) {
      this.bytes(VALUE);
      this.value(r.value);
    }
    if (r.quality !== undefined) {
      const known = QUALITY[r.quality];
      if (known) this.bytes(known);
      else this.text(`,"quality":${JSON.stringify(r.quality)}`);
    }
    if (r.ts !== undefined) {
      this.bytes(TS);
      this.number(r.ts);
    }
    if (r.reason !== undefined) {
      this.bytes(REASON);
      this.text(JSON.stringify(r.reason));
    }
    if (r.code !== undefined) {
      this.bytes(CODE);
      this.text(JSON.stringify(r.code));
    }
    this.byte(CLOSE);
  }

  private nameStart(name: string): Uint8Array {
    let start = this.names.get(name);
    if (!start) {
      if (this.names.size >= MAX_NAMES) this.names.clear();
      start = bytes(`{"property":${JSON.stringify(name)}`);
      this.names.set(name, start);
    }
    return start;
  }

  private value(v: unknown): void {
    if (typeof v === 'number') this.number(v);
    else if (v === true) this.bytes(TRUE);
    else if (v === false) this.bytes(FALSE);
    else if (v === null) this.bytes(NULL);
    else this.text(JSON.stringify(v) ?? 'null');
  }

  /** A number as JSON.stringify writes it (NaN and infinities as null, -0 as 0). */
  private number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(Number.isFinite(n) ? String(n) : 'null');
      return;
    }
    this.ensure(17);
    if (n < 0) {
      this.buf[this.len++] = 45; // -
      n = -n;
    }
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
    for (let at = this.len + digits - 1; at >= this.len; at--) {
      this.buf[at] = DIGIT_0 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.len += digits;
  }

  private text(s: string): void {
    this.ensure(s.length * 3);
    this.len += this.buf.write(s, this.len);
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  private ensure(more: number): void {
    if (this.len + more <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + more));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}
