import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../core/paths/index.js';

const root = packageRoot();

/** What `npm pack` puts in the package (scripts off: `prepare` would rebuild dist/ under running tests). */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return new Set(pack!.files.map((f) => f.path));
}

/** Every file the page loads: index.html's /ui/ links and scripts, and each module's relative imports. */
function pageFiles(): { own: string[]; vendor: string[] } {
  const html = readFileSync(join(root, 'ui', 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/ui\/([^"]+)"/g)].map((m) => m[1]!);
  const js = readdirSync(join(root, 'ui')).filter((f) => f.endsWith('.js'));
  const imports = js.flatMap((f) =>
    [...readFileSync(join(root, 'ui', f), 'utf8').matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]!),
  );
  const all = [...new Set([...refs, ...imports])];
  return { own: all.filter((f) => !f.startsWith('vendor/')), vendor: all.filter((f) => f.startsWith('vendor/')) };
}

describe('the dashboard in the npm package', () => {
  it('ships every file the page loads, and uPlot as a runtime dependency', () => {
    const packed = packedFiles();
    const { own, vendor } = pageFiles();
    expect(own).toContain('app.js');
    expect(own.length).toBeGreaterThan(8);
    expect(own.filter((f) => !packed.has(`ui/${f}`))).toEqual([]);
    // /ui/vendor/* is served from node_modules/uplot: an install without devDependencies must have it.
    expect(vendor.sort()).toEqual(['vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css']);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: object };
    expect(Object.keys(pkg.dependencies)).toContain('uplot');
  });
});
