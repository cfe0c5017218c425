import type { Diagnostic, YamlDocument } from '../core/yaml/index.js';
import { formatPath } from './describe-schema.js';
import type { Path, SchemaProblem } from './schema-check.js';

/** Collects diagnostics, positioned in their document, and counts errors per document. */
export class Report {
  readonly diagnostics: Diagnostic[] = [];
  private readonly errors = new Map<YamlDocument, number>();

  add(doc: YamlDocument, problem: SchemaProblem): void {
    const pos = problem.at === 'key' ? doc.keyPositionOf(problem.path) : doc.positionOf(problem.path);
    this.diagnostics.push({
      file: doc.file,
      line: pos.line,
      col: pos.col,
      severity: problem.severity,
      message: problem.message,
    });
    if (problem.severity === 'error') this.errors.set(doc, (this.errors.get(doc) ?? 0) + 1);
  }

  error(doc: YamlDocument, path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.add(doc, { path, message: `${formatPath(path)}: ${message}`, severity: 'error', at });
  }

  warning(doc: YamlDocument, path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.add(doc, { path, message: `${formatPath(path)}: ${message}`, severity: 'warning', at });
  }

  file(file: string, severity: 'error' | 'warning', message: string, line = 1, col = 1): void {
    this.diagnostics.push({ file, line, col, severity, message });
  }

  hasErrors(doc: YamlDocument): boolean {
    return (this.errors.get(doc) ?? 0) > 0;
  }

  where(doc: YamlDocument, path: Path): string {
    const pos = doc.positionOf(path);
    return `${doc.file}:${pos.line}:${pos.col}`;
  }
}
