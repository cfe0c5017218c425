import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './core/paths/index.js';

/**
 * The layout rule of docs/architecture.md, checked: one folder per module, and another module is
 * reached only through its public face (`index.ts`; for the mapper SDK also the light
 * `contract.ts`). Files directly in an area folder (`src/edge/node.ts`, `mappers/drivers.ts`) are
 * composition roots and registries, open to all. Tests and `testing/` helpers may reach inside.
 */
const root = packageRoot();
const AREAS_WITH_MODULES = new Set(['src/edge', 'src/cloud', 'src/core', 'mappers']);
const PUBLIC_FACES = new Set(['index.ts', 'contract.ts']);
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

/**
 * Layers point one way (docs/architecture.md): a file imports only its own area or a lower layer.
 * Areas on one layer do not import each other: the edge does not load the mappers it hosts (the
 * CLI hands them in), the cloud knows nothing of the edge, contracts and the pipeline are peers.
 */
const LAYERS: ReadonlyArray<readonly [area: string, layer: number]> = [
  ['src/core', 0],
  ['src/model', 1],
  ['src/contracts', 2],
  ['src/pipeline', 2],
  // What the cloud's and the edge's dashboards share (the live feed, serving ui/): above the
  // contracts it reads, below the two that serve it.
  ['src/dashboard', 2.5],
  ['src/edge', 3],
  ['src/cloud', 3],
  ['src/client', 3],
  ['mappers', 3],
  ['src/demo', 4],
  ['src/cli', 5],
];

function areaOf(file: string): readonly [string, number] | undefined {
  return LAYERS.find(([area]) => file === area || file.startsWith(`${area}/`));
}

function productFiles(): string[] {
  return [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'mappers'))]
    .map((f) => relative(root, f).split(sep).join('/'))
    .filter((f) => f !== 'src/architecture.test.ts');
}

function layerViolations(files: string[], imports: (file: string) => string[] = importsOf): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = areaOf(file);
    if (!from) {
      found.push(`${file} is in no layer (add its area to LAYERS)`);
      continue;
    }
    for (const target of imports(file)) {
      const to = areaOf(target);
      if (!to || to[0] === from[0]) continue;
      if (to[1] >= from[1])
        found.push(`${file} (${from[0]}, layer ${from[1]}) imports ${target} (${to[0]}, layer ${to[1]})`);
    }
  }
  return found;
}

/** Cycles between modules (a module's files count as one node; area-level files each as one). */
function moduleCycles(files: string[], imports: (file: string) => string[] = importsOf): string[][] {
  const node = (file: string) => moduleOf(file) ?? file;
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = node(file);
    const out = graph.get(from) ?? new Set<string>();
    graph.set(from, out);
    for (const target of imports(file)) {
      const to = node(target);
      if (to !== from && areaOf(target)) out.add(to);
    }
  }
  // Tarjan's strongly connected components: every component of more than one node is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
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

  it('layers point one way: core <- model <- contracts, pipeline <- dashboard <- edge, cloud, client, mappers <- demo <- cli', () => {
    expect(layerViolations(productFiles())).toEqual([]);
  });

  it('the import graph between modules has no cycle', () => {
    expect(moduleCycles(productFiles())).toEqual([]);
  });

  it('finds a layer inversion and a cycle when there is one', () => {
    // The checks themselves, on imports this repository had before they were enforced.
    const before: Record<string, string[]> = {
      'src/model/validate-protocol.ts': ['mappers/schemas.ts'],
      'mappers/schemas.ts': ['mappers/modbus/schema.ts'],
      'mappers/modbus/schema.ts': ['src/model/index.ts'],
      'src/model/index.ts': ['src/model/validate-protocol.ts'],
      'src/edge/edged/inprocess-runtime.ts': ['mappers/sdk/index.ts'],
      'src/demo/telemetry-view.ts': ['src/cli/client/index.ts'],
      'src/cli/commands/demo.ts': ['src/demo/index.ts'],
      'src/demo/index.ts': ['src/demo/telemetry-view.ts'],
      'src/cli/client/index.ts': [],
      'mappers/sdk/index.ts': [],
    };
    const files = Object.keys(before);
    const imports = (file: string) => before[file] ?? [];
    expect(layerViolations(files, imports)).toEqual([
      'src/model/validate-protocol.ts (src/model, layer 1) imports mappers/schemas.ts (mappers, layer 3)',
      'src/edge/edged/inprocess-runtime.ts (src/edge, layer 3) imports mappers/sdk/index.ts (mappers, layer 3)',
      'src/demo/telemetry-view.ts (src/demo, layer 4) imports src/cli/client/index.ts (src/cli, layer 5)',
    ]);
    expect(moduleCycles(files, imports)).toEqual([
      ['mappers/modbus', 'mappers/schemas.ts', 'src/model'],
      ['src/cli', 'src/demo'],
    ]);
    expect(layerViolations(['src/somewhere/new.ts'], () => [])).toEqual([
      'src/somewhere/new.ts is in no layer (add its area to LAYERS)',
    ]);
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
