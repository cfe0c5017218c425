import { Type, type Static } from '@sinclair/typebox';
import { type Checked, checker } from '../core/schema/index.js';
import { QualitySchema, type Quality } from '../model/cleansing/index.js';

/**
 * Telemetry column-wise, the link's format for cleansed readings going up (`telemetrycolumns`,
 * docs/link.md). Per device, each distinct property (with its unit) is named once and readings
 * refer to it by index; values sit in one array; quality and ts, nearly always the same for a
 * whole poll, are run-length encoded. A reading as an object (`{"property":"p12","value":
 * 12345,"quality":"good","ts":1764140000000}`) is ~70 bytes of JSON; here it is ~8. Both ends
 * spent most of their per-reading link cost writing and parsing those names (bench/RESULTS.md),
 * and a gateway on a metered cellular link pays for every byte.
 */

const ValueSchema = Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]);
const Count = Type.Integer({ minimum: 1 });
const MAX = 100_000;

export const DeviceColumnsSchema = Type.Object({
  /** `<namespace>/<name>`. */
  device: Type.String({ minLength: 3 }),
  /** The properties read, each once per unit; readings refer to them by index. */
  properties: Type.Array(Type.String({ minLength: 1 }), { maxItems: MAX }),
  /** The unit of each entry of `properties` ('' for none); left out when none has one. */
  units: Type.Optional(Type.Array(Type.String(), { maxItems: MAX })),
  /** Per reading: its index in `properties`. */
  p: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX }),
  /** Per reading: its value. */
  v: Type.Array(ValueSchema, { maxItems: MAX }),
  /** Quality in runs, `[quality, count]`, in reading order; the counts add up to the readings. */
  q: Type.Array(Type.Tuple([QualitySchema, Count]), { maxItems: MAX }),
  /** Timestamps (ms) in runs, `[ts, count]`, likewise. */
  t: Type.Array(Type.Tuple([Type.Number(), Count]), { maxItems: MAX }),
  /**
   * Why a reading is not good (`exception 2 (Illegal Data Address)`, `BadNodeIdUnknown`), as
   * `[reading index, reason]` in reading order, for the readings that have one; left out when
   * none has (the usual case). A cloud before this field ignores it.
   */
  r: Type.Optional(Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.String()]), { maxItems: MAX })),
});
export type DeviceColumns = Static<typeof DeviceColumnsSchema>;

/**
 * upload of `telemetrycolumns/<node>` (namespace `default`): the cleansed readings of many devices
 * committed together at the edge, devices in the order the edge took them.
 */
export const TelemetryColumnsContentSchema = Type.Object({
  devices: Type.Array(DeviceColumnsSchema, { maxItems: MAX }),
});
export type TelemetryColumnsContent = Static<typeof TelemetryColumnsContentSchema>;

export type ColumnValue = DeviceColumns['v'][number];

/** Builds one device's columns reading by reading (the edge, between two commits). */
export class DeviceColumnsBuilder {
  readonly columns: DeviceColumns;
  /** (property, unit) -> index in `properties`; see entry(). */
  private readonly index = new Map<string, number>();

  constructor(device: string) {
    this.columns = { device, properties: [], p: [], v: [], q: [], t: [] };
  }

  get count(): number {
    return this.columns.p.length;
  }

  /** `unit` empty or undefined: none. `reason` is kept for readings that are not good. */
  add(property: string, value: ColumnValue, quality: Quality, ts: number, unit?: string, reason?: string): void {
    const c = this.columns;
    if (reason && quality !== 'good') (c.r ??= []).push([c.p.length, reason]);
    c.p.push(this.entry(property, unit || ''));
    c.v.push(value);
    appendRun(c.q, quality);
    appendRun(c.t, ts);
  }

  /**
   * The index of (property, unit). Keyed by the property alone for the unit it came with first
   * (no string built per reading); a property seen under another unit too gets a composite key.
   */
  private entry(property: string, unit: string): number {
    const c = this.columns;
    const first = this.index.get(property);
    if (first !== undefined && (c.units?.[first] ?? '') === unit) return first;
    const key = `${property}\u0000${unit}`;
    const other = first === undefined ? undefined : this.index.get(key);
    if (other !== undefined) return other;
    const i = c.properties.length;
    this.index.set(first === undefined ? property : key, i);
    c.properties.push(property);
    if (unit && !c.units) c.units = c.properties.map(() => '');
    if (c.units) c.units[i] = unit;
    return i;
  }
}

function appendRun<T>(runs: Array<[T, number]>, value: T): void {
  const last = runs[runs.length - 1];
  if (last && last[0] === value) last[1]++;
  else runs.push([value, 1]);
}

/**
 * What the schema cannot say: the arrays agree in length and every index points into
 * `properties`. The reason names the field; undefined when the columns are whole.
 */
export function columnsProblem(c: DeviceColumns): string | undefined {
  const n = c.p.length;
  if (c.v.length !== n) return `v has ${c.v.length} values for ${n} readings in p`;
  if (c.units && c.units.length !== c.properties.length)
    return `units has ${c.units.length} entries for ${c.properties.length} properties`;
  for (let i = 0; i < n; i++)
    if (c.p[i]! >= c.properties.length)
      return `p[${i}] = ${c.p[i]} is not an index of properties (${c.properties.length} entries)`;
  const sum = (runs: Array<[unknown, number]>) => runs.reduce((s, r) => s + r[1], 0);
  if (sum(c.q) !== n) return `the runs in q count ${sum(c.q)} readings, p has ${n}`;
  if (sum(c.t) !== n) return `the runs in t count ${sum(c.t)} readings, p has ${n}`;
  let previous = -1;
  for (const [i, [index]] of (c.r ?? []).entries()) {
    if (index >= n) return `r[${i}] names reading ${index}, p has ${n}`;
    if (index <= previous) return `r[${i}] names reading ${index} after reading ${previous}: indexes must rise`;
    previous = index;
  }
  return undefined;
}

/** Visits the readings of whole columns (checked with columnsProblem) in order. */
export function forEachColumnReading(
  c: DeviceColumns,
  visit: (
    property: string,
    unit: string | undefined,
    value: ColumnValue,
    quality: Quality,
    ts: number,
    propertyIndex: number,
    reason: string | undefined,
  ) => void,
): void {
  let ri = 0;
  let qi = 0;
  let qLeft = c.q[0]?.[1] ?? 0;
  let ti = 0;
  let tLeft = c.t[0]?.[1] ?? 0;
  for (let i = 0; i < c.p.length; i++) {
    while (qLeft === 0) qLeft = c.q[++qi]![1];
    while (tLeft === 0) tLeft = c.t[++ti]![1];
    qLeft--;
    tLeft--;
    const pi = c.p[i]!;
    const reason = c.r?.[ri]?.[0] === i ? c.r[ri++]![1] : undefined;
    visit(c.properties[pi]!, c.units?.[pi] || undefined, c.v[i]!, c.q[qi]![0], c.t[ti]![0], pi, reason);
  }
}

export interface ColumnReading {
  property: string;
  value: ColumnValue;
  unit?: string;
  quality: Quality;
  ts: number;
  reason?: string;
}

/** The readings of whole columns as objects, in order (`unit` and `reason` only where there is one). */
export function columnReadings(c: DeviceColumns): ColumnReading[] {
  const out: ColumnReading[] = [];
  forEachColumnReading(c, (property, unit, value, quality, ts, _pi, reason) => {
    const r: ColumnReading = unit ? { property, value, unit, quality, ts } : { property, value, quality, ts };
    if (reason) r.reason = reason;
    out.push(r);
  });
  return out;
}

const checkColumnsSchema = checker(TelemetryColumnsContentSchema, 'content');

/** The schema, then what it cannot say: lengths and indexes agree (where the content enters the cloud). */
export function checkTelemetryColumns(value: unknown): Checked<TelemetryColumnsContent> {
  const checked = checkColumnsSchema(value);
  if (!checked.ok) return checked;
  const devices = checked.value.devices;
  for (let i = 0; i < devices.length; i++) {
    const problem = columnsProblem(devices[i]!);
    if (problem) return { ok: false, reason: `content field /devices/${i} (${devices[i]!.device}): ${problem}` };
  }
  return checked;
}
