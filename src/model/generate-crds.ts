import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrds } from './crd.js';

/** Writes deploy/crds/ from the schema. Run: npx tsx src/model/generate-crds.ts */
const dir = fileURLToPath(new URL('../../deploy/crds/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [file, content] of Object.entries(renderCrds())) {
  writeFileSync(`${dir}${file}`, content);
  process.stdout.write(`wrote deploy/crds/${file}\n`);
}
