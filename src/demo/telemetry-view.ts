import { formatAge, formatTable } from '../client/index.js';
import { type ConsumerReading, type TelemetryPayload, TelemetryPayloadSchema } from '../contracts/index.js';
import { jsonChecker } from '../core/schema/index.js';

const checkTelemetry = jsonChecker(TelemetryPayloadSchema);

/** Checks a payload from the topic; undefined (and the caller counts it) when it is not one. */
export function parseTelemetry(payload: Buffer | string): TelemetryPayload | undefined {
  const checked = checkTelemetry(payload);
  return checked.ok ? checked.value : undefined;
}

/** The latest reading of every (device, property): what the demo's table shows. */
export class TelemetryView {
  private readonly latest = new Map<string, ConsumerReading & { device: string; received: number }>();
  messages = 0;
  readings = 0;
  malformed = 0;

  add(msg: TelemetryPayload, received: number): void {
    this.messages++;
    for (const r of msg.readings) {
      this.readings++;
      this.latest.set(`${msg.namespace}/${msg.device}\u0000${r.property}`, {
        ...r,
        device: `${msg.namespace}/${msg.device}`,
        received,
      });
    }
  }

  get size(): number {
    return this.latest.size;
  }

  /** Rows sorted by device and property; at most `maxRows` (a terminal has only so many lines). */
  rows(now: number, maxRows = Infinity): string[][] {
    const sorted = [...this.latest.values()].sort(
      (a, b) => a.device.localeCompare(b.device) || a.property.localeCompare(b.property),
    );
    const rows = [['DEVICE', 'PROPERTY', 'VALUE', 'UNIT', 'QUALITY', 'AGE']];
    for (const r of sorted.slice(0, maxRows))
      rows.push([r.device, r.property, formatValue(r.value), r.unit ?? '', r.quality, formatAge(r.ts, now)]);
    return rows;
  }

  /** One plain line per reading (for a log or a pipe, where the table cannot update in place). */
  static lines(msg: TelemetryPayload): string[] {
    return msg.readings.map(
      (r) =>
        `${new Date(r.ts).toISOString()} ${msg.namespace}/${msg.device} ${r.property}=${formatValue(r.value)}${r.unit ? ` ${r.unit}` : ''} (${r.quality})`,
    );
  }

  table(now: number, maxRows?: number): string {
    return formatTable(this.rows(now, maxRows));
  }
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (v === null || v === undefined) return '-';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}
