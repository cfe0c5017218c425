import { createRequire } from 'node:module';
import { formatDiagnostic, type Diagnostic } from '../core/yaml/index.js';
import { checkForApply, type StoredModel } from './apply-check.js';
import { modelErrors } from './errors.js';
import type { Device } from './schema.js';

/**
 * Bulk import: one Device per CSV row, each a copy of a template Device (an existing Device of the
 * model: its protocol and its properties' visitors) with what the row changes. A spreadsheet of
 * 200 energy meters (name, node, IP, unit id) becomes 200 Devices.
 *
 * Columns (header row, any order, names case-sensitive):
 * - `name` (required): metadata.name;
 * - `namespace`, `node`: metadata.namespace and spec.nodeName (default: the template's);
 * - `label.<key>`: metadata.labels.<key>;
 * - `desired.<property>`: that property's desired value;
 * - anything else: spec.protocol.configData.<column> (a number when the text is one and the
 *   template's value is not a string; true/false as booleans).
 * An empty cell leaves the template's value. Problems are diagnostics at the row's line.
 */
export interface CsvImport {
  devices: Device[];
  /** The CSV line of each device. */
  lines: number[];
  problems: Diagnostic[];
}

const requireLazily = createRequire(import.meta.url);
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const MAX_CSV_ROWS = 5000;

export function devicesFromCsv(csv: string, template: Device, file = 'import.csv'): CsvImport {
  const problems: Diagnostic[] = [];
  const problem = (line: number, col: number, message: string) =>
    problems.push({ file, line, col, severity: 'error', message });
  const { parse } = requireLazily('csv-parse/sync') as typeof import('csv-parse/sync');
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(csv, {
      info: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }) as unknown as typeof rows;
  } catch (err) {
    const e = err as Error & { lines?: number; column?: number };
    problem(e.lines ?? 1, 1, `not CSV: ${e.message}`);
    return { devices: [], lines: [], problems };
  }
  const [head, ...body] = rows;
  if (!head) {
    problem(1, 1, 'the CSV is empty; the first row names the columns (name, node, ip, ...)');
    return { devices: [], lines: [], problems };
  }
  const columns = head.record;
  if (!columns.includes('name'))
    problem(head.info.lines, 1, `no "name" column (the columns are ${columns.join(', ')})`);
  if (body.length > MAX_CSV_ROWS) problem(body[MAX_CSV_ROWS]!.info.lines, 1, `more than ${MAX_CSV_ROWS} rows`);
  const devices: Device[] = [];
  const lines: number[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body.slice(0, MAX_CSV_ROWS)) {
    const line = info.lines;
    if (record.length > columns.length) problem(line, 1, `${record.length} cells, the header has ${columns.length}`);
    const device = structuredClone(template) as Device & { status?: unknown };
    delete device.status;
    device.metadata = {
      name: template.metadata.name,
      namespace: template.metadata.namespace ?? 'default',
      ...(template.metadata.labels ? { labels: { ...template.metadata.labels } } : {}),
    };
    let ok = true;
    columns.forEach((column, i) => {
      const cell = record[i] ?? '';
      if (cell === '' && column !== 'name') return;
      const why = applyCell(device, template, column, cell);
      if (why) {
        ok = false;
        problem(line, colOf(record, i), `column ${column}: ${why}`);
      }
    });
    const key = `${device.metadata.namespace}/${device.metadata.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      ok = false;
      problem(line, 1, `device ${key} is also on line ${first}`);
    } else seen.set(key, line);
    if (ok) {
      devices.push(device);
      lines.push(line);
    }
  }
  return { devices, lines, problems };
}

/** Sets one cell into the device; returns why it cannot, or undefined. */
function applyCell(device: Device, template: Device, column: string, cell: string): string | undefined {
  if (column === 'name' || column === 'namespace') {
    if (!NAME.test(cell))
      return `${JSON.stringify(cell)} is not a Kubernetes name (lower case letters, digits, - and .)`;
    device.metadata[column] = cell;
    return undefined;
  }
  if (column === 'node') {
    device.spec.nodeName = cell;
    return undefined;
  }
  if (column.startsWith('label.')) {
    device.metadata.labels = { ...device.metadata.labels, [column.slice(6)]: cell };
    return undefined;
  }
  if (column.startsWith('desired.')) {
    const name = column.slice(8);
    const prop = device.spec.properties?.find((p) => p.name === name);
    if (!prop) return `the template device has no property ${name}`;
    prop.desired = { ...prop.desired, value: cell };
    return undefined;
  }
  const protocol = device.spec.protocol ?? { protocolName: template.spec.protocol?.protocolName ?? '' };
  const config = { ...(protocol.configData as Record<string, unknown> | undefined) };
  const before = (template.spec.protocol?.configData as Record<string, unknown> | undefined)?.[column];
  config[column] = typed(cell, before);
  device.spec.protocol = { ...protocol, configData: config };
  return undefined;
}

function typed(cell: string, before: unknown): unknown {
  if (typeof before === 'string') return cell;
  if (cell === 'true' || cell === 'false') return cell === 'true';
  const n = Number(cell);
  return cell.trim() !== '' && Number.isFinite(n) ? n : cell;
}

/** 1-based column of cell `i` in the record's text (approximate for quoted cells). */
function colOf(record: string[], i: number): number {
  return record.slice(0, i).reduce((sum, c) => sum + c.length + 1, 1);
}

/**
 * The devices of a CSV import, checked as `kedge validate` checks them (against the stored
 * models), every problem at its CSV line: what the import answers before anything is applied.
 */
export async function checkCsvImport(
  csv: string,
  template: Device,
  stored: readonly StoredModel[],
  file = 'import.csv',
): Promise<{ devices: Device[]; problems: Diagnostic[] }> {
  const parsed = devicesFromCsv(csv, template, file);
  const sources = parsed.devices.map((d, i) => ({ file: `row${i}`, content: JSON.stringify(d) }));
  const check = sources.length > 0 ? await checkForApply(sources, stored) : undefined;
  const problems = [...parsed.problems];
  for (const d of check?.diagnostics ?? []) {
    const line = parsed.lines[Number(d.file.slice(3))] ?? 1;
    problems.push({ ...d, file, line, col: 1 });
  }
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return { devices: check?.devices ?? [], problems };
}

/** `POST /api/v1/import/devices` (docs/api.md "Bulk import"), on the cloud and the edge. */
export interface ImportRequest {
  csv: string;
  /** `<namespace>/<name>` of the Device each row copies. */
  template: string;
  file: string;
  dryRun: boolean;
}

export function importRequest(body: unknown): ImportRequest {
  const b = body as Partial<Record<keyof ImportRequest, unknown>> | null;
  const bad = (why: string) =>
    modelErrors.create(
      'KEDGE_MODEL_IMPORT_INVALID',
      `${why}; body: { "csv": "...", "template": "<namespace>/<device>", "dryRun"?: true }`,
    );
  if (typeof b?.csv !== 'string' || b.csv.trim() === '') throw bad('"csv" must be the CSV text');
  if (typeof b.template !== 'string' || !/^[^/]+\/[^/]+$/.test(b.template))
    throw bad('"template" must be <namespace>/<device>');
  return {
    csv: b.csv,
    template: b.template,
    file: typeof b.file === 'string' && b.file !== '' ? b.file : 'import.csv',
    dryRun: b.dryRun === true,
  };
}

const structured = (problems: Diagnostic[]) => problems.map((d) => ({ ...d, text: formatDiagnostic(d) }));

/** The answer's `devices` and `problems` (warnings), before `applied`. */
export function importSummary(devices: Device[], problems: Diagnostic[]) {
  return {
    devices: devices.map((d) => ({
      namespace: d.metadata.namespace ?? 'default',
      name: d.metadata.name,
      node: d.spec.nodeName ?? '',
    })),
    problems: structured(problems),
  };
}

/** Throws when the import has errors: all or nothing, each problem at its CSV line. */
export function assertImportable(problems: Diagnostic[]): void {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return;
  throw modelErrors.create(
    'KEDGE_MODEL_IMPORT_INVALID',
    `${errors.length} error(s) in the CSV; nothing was imported:\n${errors.slice(0, 20).map(formatDiagnostic).join('\n')}`,
    { detail: { problems: structured(problems) } },
  );
}
