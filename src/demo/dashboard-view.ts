import type { Dashboard, DeviceState, PropertyState } from './dashboard.js';

export interface FrameOptions {
  cols: number;
  rows: number;
  now: number;
  /** The first line. */
  title: string;
  /** Lines kept at the bottom (the commands to try). */
  footer: string[];
  /** Properties shown first in their device (the one the `twin set` hint names). */
  first?: ReadonlySet<string>;
}

/** How long an event (a rejected reading, a confirmed write) stays noted under its device. */
export const NOTE_MS = 15_000;
const MIN_CELL = 30;

/**
 * One screen of the demo, at most `rows` lines of at most `cols` characters: a title, each
 * device (its state and reason, then its properties in as many columns as fit, grouped by
 * device, "N more" when cut, and one line on what just happened to it: a value rejected by
 * cleansing, a desired value pending or confirmed), and the footer. Pure: a test renders it.
 */
export function renderFrame(d: Dashboard, o: FrameOptions): string[] {
  const cols = Math.max(20, o.cols);
  const columns = Math.max(1, Math.min(3, Math.floor(cols / (MIN_CELL + 9))));
  const cellWidth = Math.floor((cols - 2) / columns);
  const devices = [...d.devices.values()];
  const sections = devices.map((device) => section(device, o, columns));
  const budget = Math.max(0, o.rows - 1 - o.footer.length);
  const grid = fitRows(sections, budget);
  const lines = [o.title];
  sections.forEach((s, i) => {
    lines.push(s.header);
    const shown = grid[i]!;
    if (shown === 0) return;
    if (s.waiting) {
      lines.push(s.waiting);
      return;
    }
    const capacity = shown * columns;
    const cut = s.cells.length > capacity;
    const cells = cut ? [...s.cells.slice(0, capacity - 1), `${s.cells.length - capacity + 1} more`] : s.cells;
    for (let r = 0; r < shown; r++) {
      const row = cells.slice(r * columns, r * columns + columns).map((c) => pad(c, cellWidth));
      if (row.length > 0) lines.push(`  ${row.join('').trimEnd()}`);
    }
    if (s.note && grid.notes[i]) lines.push(s.note);
  });
  const body = lines.slice(0, Math.max(1, o.rows - o.footer.length));
  while (body.length < o.rows - o.footer.length) body.push('');
  return [...body, ...o.footer].slice(0, o.rows).map((l) => fitLine(l, cols));
}

interface Section {
  header: string;
  waiting?: string;
  cells: string[];
  note?: string;
  rowsWanted: number;
}

function section(device: DeviceState, o: FrameOptions, columns: number): Section {
  const name = device.id.replace(/^default\//, '');
  const state = device.state + (device.reason && device.state !== 'online' ? `: ${device.reason}` : '');
  const header = `${name} · ${device.protocol} · ${state}`;
  if (device.firstReading === undefined)
    return { header, waiting: '  waiting for the first telemetry...', cells: [], rowsWanted: 1 };
  const props = [...device.properties.values()].sort(
    (a, b) => rank(a, o) - rank(b, o) || order(device, a) - order(device, b),
  );
  const cellWidth = Math.floor((Math.max(20, o.cols) - 2) / columns);
  const nameWidth = Math.min(Math.max(...props.map((p) => p.name.length)), cellWidth - 19);
  const cells = props.map((p) => `${padName(p.name, nameWidth)} ${valueText(p, o.now)}`);
  const note = noteOf(device, o.now, o.cols);
  return { header, cells, ...(note ? { note } : {}), rowsWanted: Math.ceil(cells.length / columns) };
}

/** The twin set hint's property first, then what needs attention, then the model's order. */
function rank(p: PropertyState, o: FrameOptions): number {
  if (o.first?.has(p.name)) return 0;
  if (p.pending || (p.quality && p.quality !== 'good')) return 1;
  return 2;
}

function order(device: DeviceState, p: PropertyState): number {
  return [...device.properties.keys()].indexOf(p.name);
}

/**
 * Rows of cells per device within `budget` lines (headers, waiting lines and notes included):
 * every device keeps its header and one row; the rest goes a row at a time to the device that
 * shows the fewest so far. Notes go first to the devices that have one, when there is room.
 */
function fitRows(sections: Section[], budget: number): number[] & { notes: boolean[] } {
  const rows: number[] = sections.map((s) => (s.rowsWanted > 0 ? 1 : 0));
  const notes = sections.map(() => false);
  let left = budget - sections.length - rows.reduce((a, b) => a + b, 0);
  for (const [i, s] of sections.entries()) {
    if (left > 0 && s.note) {
      notes[i] = true;
      left--;
    }
  }
  while (left > 0) {
    // A row to the device showing the fewest so far: every device gets its share before one gets all.
    let best = -1;
    for (const [i, s] of sections.entries())
      if (rows[i]! < s.rowsWanted && (best < 0 || rows[i]! < rows[best]!)) best = i;
    if (best < 0) break;
    rows[best]!++;
    left--;
  }
  // Not even a header and a row each: fewer rows, from the last device up.
  for (let i = sections.length - 1; left < 0 && i >= 0; i--) {
    while (rows[i]! > 0 && left < 0) {
      rows[i]!--;
      left++;
    }
  }
  return Object.assign(rows, { notes });
}

function valueText(p: PropertyState, now: number): string {
  const unit = p.unit ? ` ${p.unit}` : '';
  if (p.pending) return `${formatValue(p.value)}→${p.pending.value} pending`;
  if (p.failed && now - p.failed.at < NOTE_MS) return `${formatValue(p.value)}${unit} ✗ failed`;
  if (p.confirmed && now - p.confirmed.at < NOTE_MS)
    return `${p.confirmed.from !== undefined ? `${formatValue(p.confirmed.from)}→` : ''}${formatValue(p.value)}${unit} ✓`;
  if (p.quality === undefined) return '…';
  if (p.quality === 'good') return `${formatValue(p.value)}${unit}`;
  if (p.quality === 'bad') return p.value === null || p.value === undefined ? 'bad' : `${formatValue(p.value)} bad`;
  const held = p.quality === 'uncertain' && p.reason?.startsWith('holding') ? 'held' : p.quality;
  return `${formatValue(p.value)}${unit} ${held}`;
}

/** One line on the latest thing that happened to the device, if recent. */
function noteOf(device: DeviceState, now: number, cols: number): string | undefined {
  let best: { at: number; text: string } | undefined;
  const consider = (at: number, text: string) => {
    if (now - at < NOTE_MS && (!best || at > best.at)) best = { at, text };
  };
  for (const p of device.properties.values()) {
    if (p.pending)
      consider(
        Infinity,
        `  ▸ ${p.name}: desired ${p.pending.value}, written, waiting for the device to confirm (${seconds(now - p.pending.since)})`,
      );
    if (p.confirmed) {
      const from = p.confirmed.from !== undefined ? `${p.confirmed.from} → ` : '';
      const took = p.confirmed.tookMs !== undefined ? ` ${seconds(p.confirmed.tookMs)} after it was set` : '';
      consider(p.confirmed.at, `  ✓ ${p.name}: ${from}${p.confirmed.value}, confirmed by the device${took}`);
    }
    if (p.failed) consider(p.failed.at, `  ✗ ${p.name} = ${p.failed.value} failed: ${tidy(p.failed.reason)}`);
    if (p.problem) {
      // The cell shows the value kept ("held"); the note says why the reading was rejected.
      const held = p.problem.reason.startsWith('holding last good value: ');
      const why = tidy(p.problem.reason.replace(/^holding last good value: /, ''));
      const text = `  ! ${p.name} ${held ? 'held' : p.problem.quality}: ${why}`;
      const ago = ` (${seconds(now - p.problem.at)} ago)`;
      consider(p.problem.at, text.length + ago.length <= cols ? text + ago : text);
    }
  }
  return best?.text;
}

/** Numbers in a reason as a person writes them (`184.10000000000002` -> `184.1`). */
function tidy(reason: string): string {
  return reason.replace(/-?\d+\.\d{4,}/g, (n) => formatValue(Number(n)));
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/**
 * A value rounded as a person reads it: at most four significant digits before the point and
 * three after (230.1 V, 49.98 Hz, 0.953, 1234.6 kWh, 98302), no trailing zeros.
 */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const magnitude = Math.floor(Math.log10(Math.abs(v) || 1));
    const decimals = Math.min(3, Math.max(1, 3 - magnitude));
    return String(Number(v.toFixed(decimals)));
  }
  if (v === null || v === undefined) return '-';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 16 ? `${s.slice(0, 15)}…` : s;
}

/** A cell: `width` characters, the last one a space between cells. */
function pad(s: string, width: number): string {
  return s.length > width - 1 ? `${s.slice(0, Math.max(0, width - 2))}… ` : s.padEnd(width);
}

/** A name column: exactly `width` characters. */
function padName(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s.padEnd(width);
}

function fitLine(line: string, cols: number): string {
  return line.length > cols ? `${line.slice(0, cols - 1)}…` : line;
}
