import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replaces (or adds) `### <subsection>` inside `<header>` (a `## ` heading) of bench/RESULTS.md,
 * keeping every other section and subsection as it is. A missing section is added at the end with
 * a comment naming the benchmark that writes it.
 */
export function writeResultsSubsection(header: string, writtenBy: string, subsection: string, body: string): void {
  const file = join(import.meta.dirname, 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  if (!text.includes(`\n${header}\n`)) text = `${text.trimEnd()}\n\n${header}\n\n<!-- written by ${writtenBy} -->\n`;
  const from = text.indexOf(`\n${header}\n`) + 1;
  const next = text.indexOf('\n## ', from + header.length);
  let section = text.slice(from, next < 0 ? undefined : next + 1);
  const subHeader = `### ${subsection}`;
  const subStart = section.indexOf(`${subHeader}\n`);
  const replacement = `${subHeader}\n\n${body.trim()}\n\n`;
  if (subStart < 0) section = `${section.trimEnd()}\n\n${replacement}`;
  else {
    const subEnd = section.indexOf('\n### ', subStart + subHeader.length);
    section = section.slice(0, subStart) + replacement + (subEnd < 0 ? '' : section.slice(subEnd + 1));
  }
  text = `${text.slice(0, from) + section.trimEnd()}\n${next < 0 ? '' : `\n${text.slice(next + 1)}`}`;
  writeFileSync(file, `${text.trimEnd()}\n`);
}
