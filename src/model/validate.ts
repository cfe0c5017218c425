import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseYamlDocuments, type Diagnostic, type ParsedYaml, type YamlDocument } from '../core/yaml/index.js';
import type { DeviceInstance } from './instance.js';
import { resolveDeviceInstance } from './resolve.js';
import type { Pod } from './pod.js';
import type { Device, DeviceModel } from './schema.js';
import { type ClassifiedDocument, checkDocument } from './validate-document.js';
import { checkReferences, type Entry } from './validate-references.js';
import { Report } from './validate-report.js';

export interface ValidationResult {
  /** Sorted by file (in the order given), line, column. */
  diagnostics: Diagnostic[];
  /** Every Device that passed its schema (normalized: null fields dropped). */
  devices: Device[];
  /** Every DeviceModel that passed its schema (normalized: property types upper case). */
  models: DeviceModel[];
  /** Every Pod that passed its schema and rules (core/v1, the part Edged runs). */
  pods: Pod[];
  /** Devices without any error, joined with their model. */
  instances: DeviceInstance[];
  /** The YAML files read. */
  files: string[];
}

export interface ValidateOptions {
  /**
   * DeviceModels these files do not define may already be where the documents go (`kedge apply`):
   * a Device whose model is not among them is not an error here; the server resolves it against
   * the models it holds, as kubectl leaves references to the API server.
   */
  modelsElsewhere?: boolean;
}

export interface Source {
  file: string;
  content: string | Uint8Array;
}

/**
 * `kedge validate`: reads files and directories (recursing for .yaml/.yml), checks every Device and
 * DeviceModel document and resolves each Device's model among them. Never throws for bad input:
 * every problem becomes a diagnostic.
 */
export async function validateFiles(paths: string[], options: ValidateOptions = {}): Promise<ValidationResult> {
  const report = new Report();
  const files: string[] = [];
  for (const path of paths) await collect(path, true, files, report);
  const sources: Source[] = [];
  for (const file of files) {
    try {
      sources.push({ file, content: await readFile(file) });
    } catch (err) {
      report.file(file, 'error', `cannot read: ${(err as Error).message}`);
    }
  }
  return validateSourcesInto(sources, report, files, options);
}

/** The same checks on in-memory files (tests, editors). */
export function validateSources(sources: Source[]): ValidationResult {
  return validateSourcesInto(
    sources,
    new Report(),
    sources.map((s) => s.file),
  );
}

function validateSourcesInto(
  sources: Source[],
  report: Report,
  files: string[],
  options: ValidateOptions = {},
): ValidationResult {
  const devices: Entry<Device>[] = [];
  const models: Entry<DeviceModel>[] = [];
  const pods: Pod[] = [];
  for (const source of sources) {
    for (const doc of parseSource(source, report)) {
      let checked: ClassifiedDocument;
      try {
        checked = checkDocument(doc);
      } catch (err) {
        report.file(
          doc.file,
          'error',
          `internal error while checking document ${doc.index + 1}: ${(err as Error).message}`,
        );
        continue;
      }
      for (const problem of checked.problems) report.add(doc, problem);
      if (checked.kind === 'Device') devices.push({ doc, value: checked.value, valid: checked.valid });
      if (checked.kind === 'DeviceModel') models.push({ doc, value: checked.value, valid: checked.valid });
      if (checked.kind === 'Pod' && checked.valid) pods.push(checked.value);
    }
  }
  const instances: DeviceInstance[] = [];
  try {
    const resolved = checkReferences(devices, models, report, options.modelsElsewhere ?? false);
    for (const [device, model] of resolved) {
      if (report.hasErrors(device.doc) || report.hasErrors(model.doc)) continue;
      instances.push(resolveDeviceInstance(device.value, model.value));
    }
  } catch (err) {
    // A bug of ours must still not crash `kedge validate`; say where it happened.
    report.file(
      sources[0]?.file ?? '(input)',
      'error',
      `internal error while checking references: ${(err as Error).message}`,
    );
  }
  return {
    diagnostics: sortDiagnostics(report.diagnostics, files),
    devices: devices.filter((d) => d.valid).map((d) => d.value),
    models: models.filter((m) => m.valid).map((m) => m.value),
    pods,
    instances,
    files,
  };
}

function parseSource(source: Source, report: Report): YamlDocument[] {
  const { file } = source;
  const text = decode(source, report);
  if (text === undefined) return [];
  let parsed: ParsedYaml;
  try {
    parsed = parseYamlDocuments(text, file);
  } catch (err) {
    report.file(file, 'error', `YAML: ${(err as Error).message}`);
    return [];
  }
  report.diagnostics.push(...parsed.diagnostics);
  // `---` followed by nothing (a trailing separator) is an empty document, not a mistake.
  const documents = parsed.documents.filter((d) => d.value !== null && d.value !== undefined);
  if (documents.length === 0 && parsed.diagnostics.length === 0) {
    report.file(
      file,
      'error',
      'the file has no YAML document; expected a Device, DeviceModel or Pod (apiVersion, kind, metadata, spec)',
    );
  }
  return documents;
}

function decode(source: Source, report: Report): string | undefined {
  if (typeof source.content === 'string') return source.content;
  const bytes = source.content;
  if (bytes.includes(0)) return '\u0000'; // parseYamlDocuments reports binary files
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    const before = text.slice(0, bad).split('\n');
    report.file(
      source.file,
      'error',
      'this file is not UTF-8 text (binary data?); expected YAML',
      before.length,
      before[before.length - 1]!.length + 1,
    );
    return undefined;
  }
  return text;
}

async function collect(path: string, explicit: boolean, files: string[], report: Report): Promise<void> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    report.file(
      path,
      'error',
      code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${(err as Error).message}`,
    );
    return;
  }
  if (info.isDirectory()) {
    const before = files.length;
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) await collect(child, false, files, report);
      else if (/\.ya?ml$/i.test(entry.name)) files.push(child);
    }
    if (explicit && files.length === before) report.file(path, 'warning', 'no .yaml or .yml files in this directory');
    return;
  }
  files.push(path);
}

function sortDiagnostics(diagnostics: Diagnostic[], files: string[]): Diagnostic[] {
  const order = new Map(files.map((f, i) => [f, i]));
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (order.get(a.d.file) ?? -1) - (order.get(b.d.file) ?? -1) ||
        a.d.line - b.d.line ||
        a.d.col - b.d.col ||
        a.i - b.i,
    )
    .map(({ d }) => d);
}
