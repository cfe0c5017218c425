import { formatAge, formatTable } from '../client/index.js';

/** One reading as a cloud consumer receives it on `kedge/telemetry/<ns>/<device>`. */
export interface ConsumerReading {
  property: string;
  value: unknown;
  unit?: string;
  quality: string;
  ts: number;
  /** Why the quality is not good. */
  reason?: string;
}

export interface TelemetryMessage {
  namespace: string;
  device: string;
  node?: string;
  readings: ConsumerReading[];
}

/** Checks a payload from the topic; undefined (and the caller counts it) when it is not one. */
export function parseTelemetry(payload: Buffer | string): TelemetryMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
  const m = v as Partial<TelemetryMessage> | null;
  if (!m || typeof m.namespace !== 'string' || typeof m.device !== 'string' || !Array.isArray(m.readings))
    return undefined;
  const readings = m.readings.filter(
    (r): r is ConsumerReading =>
      !!r && typeof r.property === 'string' && typeof r.quality === 'string' && typeof r.ts === 'number',
  );
  return { namespace: m.namespace, device: m.device, ...(m.node ? { node: m.node } : {}), readings };
}

/** The latest reading of every (device, property): what the demo's table shows. */
export class TelemetryView {
  private readonly latest = new Map<string, ConsumerReading & { device: string; received: number }>();
  messages = 0;
  readings = 0;
  malformed = 0;

  add(msg: TelemetryMessage, received: number): void {
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
  static lines(msg: TelemetryMessage): string[] {
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
