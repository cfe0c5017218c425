#!/usr/bin/env node
// The kedge executable. The TypeScript sources are compiled to dist/ by `npm ci` (the
// package's `prepare` script), so a fresh clone runs with `npx kedge ...` and no global install.
import { existsSync } from 'node:fs';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('kedge: dist/ is missing. Run `npm ci` (or `npm run build`) in the kedge folder first.\n');
  process.exit(2);
}
await import(main.href);
