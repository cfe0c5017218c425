import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths/index.js';

const root = packageRoot();
const IMPORTS_OPCUA = /(from\s+|import\s*\(\s*|require\s*\(\s*)['"]node-opcua[^'"]*['"]/;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (/\.(ts|mts|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('node-opcua stays inside the OPC UA driver', () => {
  it('is imported by no file outside mappers/opcua, and not by mappers/opcua/schema.ts', async () => {
    const offenders: string[] = [];
    for (const dir of ['src', 'mappers', 'bench']) {
      for (const file of await sources(join(root, dir))) {
        const rel = relative(root, file);
        // Compiled copies of this driver (e.g. a bench build folder) count as the driver itself.
        const inside = /(^|\/)mappers\/opcua\//.test(rel) && !/mappers\/opcua\/schema\.(ts|js)$/.test(rel);
        if (!inside && IMPORTS_OPCUA.test(await readFile(file, 'utf8'))) offenders.push(rel);
      }
    }
    expect(offenders).toEqual([]);
  });
});
