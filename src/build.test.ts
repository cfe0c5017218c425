import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './core/paths/index.js';

const root = packageRoot();

/** The files `npm run build` compiles into dist/ (tsconfig.build.json's roots). */
function buildRoots(): string[] {
  const file = join(root, 'tsconfig.build.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, root);
  return parsed.fileNames.map((f) => relative(root, f).split(sep).join('/'));
}

/** A file only tests use: a test, a shared contract suite, anything under testing/, anything importing vitest. */
function isTestOnly(file: string): boolean {
  if (/\.test\.ts$|\.contract\.ts$|(^|\/)testing\//.test(file) || file === 'src/cloud/store/contract.ts') return true;
  return /from 'vitest'/.test(readFileSync(join(root, file), 'utf8'));
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(root, resolve(dirname(join(root, file)), m[1]!))
      .split(sep)
      .join('/')
      .replace(/\.js$/, '.ts'),
  );
}

describe('build', () => {
  it('compiles no test helper into dist/ (so none ships in the package)', () => {
    const roots = buildRoots();
    expect(roots.length).toBeGreaterThan(100);
    expect(roots.filter(isTestOnly)).toEqual([]);
    // tsc also emits what a root imports: no product file may import a test helper.
    const pulledIn = roots.flatMap((f) =>
      relativeImports(f)
        .filter((t) => isTestOnly(t))
        .map((t) => `${f} -> ${t}`),
    );
    expect(pulledIn).toEqual([]);
  });

  it('recognises test helpers', () => {
    expect(isTestOnly('src/edge/testing/index.ts')).toBe(true);
    expect(isTestOnly('src/edge/store/stores.contract.ts')).toBe(true);
    expect(isTestOnly('src/cloud/store/contract.ts')).toBe(true);
    expect(isTestOnly('mappers/sdk/contract.ts')).toBe(false);
    expect(isTestOnly('src/edge/node.ts')).toBe(false);
  });
});
