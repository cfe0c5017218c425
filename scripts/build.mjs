#!/usr/bin/env node
// Compiles the TypeScript into dist/, removing the old dist/ first so that no output of a deleted
// source is left behind (it would be packed and shipped). `npm run build` runs it; `npm ci` runs it
// through `prepare` with --if-possible, which does nothing where it cannot and need not compile:
// in an installed package (no sources; dist/ ships in it) or under `npm ci --omit=dev` in a clone
// (no TypeScript; it says how to build).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const ifPossible = process.argv.includes('--if-possible');

if (!existsSync(join(root, 'src'))) {
  if (ifPossible) process.exit(0);
  console.error('kedge build: no src/ here (an installed package ships dist/ compiled).');
  process.exit(2);
}
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  const msg = 'kedge build: TypeScript is not installed (npm ci --omit=dev); dist/ is not compiled.';
  if (!ifPossible) {
    console.error(`${msg} Run npm ci with the dev dependencies first.`);
    process.exit(2);
  }
  console.error(`${msg} ${existsSync(join(root, 'dist')) ? 'Using the dist/ there is.' : 'Run `npm ci` (with dev dependencies) to build it.'}`);
  process.exit(0);
}
const outDir = process.env.KEDGE_BUILD_OUT_DIR ?? join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
