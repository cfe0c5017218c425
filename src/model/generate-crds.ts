import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './crd.js';

/** Writes the CRDs (deploy/crds/, deploy/kubernetes/, the Helm chart) from the schema. Run: npx tsx src/model/generate-crds.ts */
const root = fileURLToPath(new URL('../../', import.meta.url));
for (const [file, content] of Object.entries(renderCrdFiles())) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
  process.stdout.write(`wrote ${file}\n`);
}
