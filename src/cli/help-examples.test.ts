import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/index.js';
import { buildProgram } from './program.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every command's full --help (options and the examples added after them), keyed by its path. */
function helpTexts(cmd: Command, path = 'kedge'): Array<{ path: string; text: string }> {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return [{ path, text }, ...cmd.commands.flatMap((sub) => helpTexts(sub, `${path} ${sub.name()}`))];
}

/**
 * The files and folders an example line names, relative to a clone: `x.yaml`, `dir/`, `@x.json`.
 * Paths made at run time (/dev/pts/N from socat, data dirs under /var/lib) and URLs are not files
 * a reader is expected to have; everything after `#` is a comment.
 */
function namedFiles(line: string): string[] {
  const code = line.replace(/\s#.*$/, '');
  const found: string[] = [];
  for (const word of code.split(/\s+/)) {
    const w = word.replace(/^@/, '').replace(/^['"]|['"]$/g, '');
    if (w.includes('://') || w.startsWith('/') || w.startsWith('-')) continue;
    if (/^[\w.-]+(\/[\w.-]+)*\.(ya?ml|json)$/.test(w) || /^[\w.-]+(\/[\w.-]+)*\/$/.test(w)) found.push(w);
  }
  return found;
}

describe('help examples', () => {
  const examples = helpTexts(buildProgram('0.0.0')).flatMap(({ path, text }) =>
    text
      .split('\n')
      .filter((l) => /^\s+(\S+=\S+ )*(kedge|kubectl|socat|mosquitto_sub) /.test(l))
      .map((line) => ({ path, line: line.trim() })),
  );

  it('there are examples, and the file finder sees the files they name', () => {
    expect(examples.length).toBeGreaterThan(30);
    expect(namedFiles('kedge apply -f device-models/ -f a/b.yaml --server http://x:1/y.json # c.yaml')).toEqual([
      'device-models/',
      'a/b.yaml',
    ]);
    expect(namedFiles("kedge call n PUT h:1 /c -d @deploy/kedge.yaml -H 'X: y'")).toEqual(['deploy/kedge.yaml']);
  });

  it('every file or folder an example names exists in a clone', () => {
    const missing = examples.flatMap(({ path, line }) =>
      namedFiles(line)
        .filter((f) => !existsSync(join(ROOT, f)))
        .map((f) => `${path} --help: ${f} in "${line}"`),
    );
    expect(missing).toEqual([]);
  });

  it('the example configuration file loads', () => {
    const config = loadConfig({ file: join(ROOT, 'deploy', 'kedge.yaml'), env: {} });
    expect(config.edge.node).toBe('line-3');
  });
});
