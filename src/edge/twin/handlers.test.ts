import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, 'handlers');
/** The KubeEdge files the twin's handlers mirror (edge/pkg/devicetwin/...). */
const KUBEEDGE_SOURCES = new Set(['dtmanager/twin.go', 'dtmanager/device.go', 'dtmanager/membership.go']);

describe('twin handlers', () => {
  it('are one file per concern, each saying which KubeEdge source it mirrors (or that it is kedge’s own)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      const first = readFileSync(join(dir, file), 'utf8').split('\n')[0]!;
      const mirrored = /^\/\/ Mirrors KubeEdge edge\/pkg\/devicetwin\/(\S+\.go)/.exec(first)?.[1];
      if (mirrored) expect(KUBEEDGE_SOURCES, `${file}: ${mirrored}`).toContain(mirrored);
      else expect(first, file).toMatch(/^\/\/ kedge's own, no KubeEdge counterpart/);
    }
  });
});
