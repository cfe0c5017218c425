import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './core/paths/index.js';

/**
 * The layout rule of docs/architecture.md, checked: one folder per module, and another module is
 * reached only through its public face (`index.ts`; for protocol folders also the light
 * `schema.ts`, for the mapper SDK the light `contract.ts`). Files directly in an area folder
 * (`src/edge/node.ts`, `mappers/drivers.ts`) are composition roots and registries, open to all.
 * Tests and `testing/` helpers may reach inside.
 */
const root = packageRoot();
const AREAS_WITH_MODULES = new Set(['src/edge', 'src/cloud', 'src/core', 'mappers']);
const PUBLIC_FACES = new Set(['index.ts', 'schema.ts', 'contract.ts']);
/** Deliberate extra faces, each with its reason. */
const EXTRA_FACES: Record<string, string> = {
  'mappers/opcua/sim/load-model.ts': 'validates a model before node-opcua (seconds to load) is imported',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'testing' || name === 'fixtures' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The module folder a repo-relative file belongs to, or undefined for an area-level file. */
function moduleOf(file: string): string | undefined {
  const parts = file.split('/');
  for (let depth = parts.length - 1; depth >= 1; depth--) {
    const parent = parts.slice(0, depth - 1).join('/');
    if (depth >= 2 && AREAS_WITH_MODULES.has(parent)) return parts.slice(0, depth).join('/');
  }
  if (parts[0] === 'src' && parts.length > 2 && !AREAS_WITH_MODULES.has(`src/${parts[1]}`)) return `src/${parts[1]}`;
  return undefined;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) =>
    relative(root, resolve(dirname(join(root, file)), spec))
      .split(sep)
      .join('/')
      .replace(/\.js$/, '.ts'),
  );
}

function violations(): string[] {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'mappers'))].map((f) =>
    relative(root, f).split(sep).join('/'),
  );
  const found: string[] = [];
  for (const file of files) {
    const own = moduleOf(file);
    for (const target of importsOf(file)) {
      const other = moduleOf(target);
      if (other === undefined || other === own) continue;
      const name = target.split('/').pop()!;
      if (PUBLIC_FACES.has(name) || target in EXTRA_FACES) continue;
      found.push(`${file} imports ${target} (inside module ${other}; import ${other}/index.ts instead)`);
    }
  }
  return found;
}

describe('architecture', () => {
  it('modules reach each other only through their public face', () => {
    expect(violations()).toEqual([]);
  });

  it('knows the module of a file', () => {
    expect(moduleOf('src/edge/twin/module.ts')).toBe('src/edge/twin');
    expect(moduleOf('src/edge/node.ts')).toBeUndefined();
    expect(moduleOf('src/model/validate.ts')).toBe('src/model');
    expect(moduleOf('src/model/cleansing/schema.ts')).toBe('src/model');
    expect(moduleOf('mappers/modbus/sim/server.ts')).toBe('mappers/modbus');
    expect(moduleOf('mappers/drivers.ts')).toBeUndefined();
    expect(moduleOf('src/cli/commands/edge.ts')).toBe('src/cli');
  });
});
