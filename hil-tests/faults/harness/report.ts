import { appendFileSync } from 'node:fs';

/**
 * States what a fault test measured: printed (vitest shows it with the test's output) and, when
 * KEDGE_FAULTS_REPORT names a file, appended to it as one JSON line per test.
 */
export function reportFigures(test: string, figures: Record<string, number | string | boolean>): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`)
    .join(' ');
  console.log(`[faults] ${test}: ${line}`);
  const file = process.env.KEDGE_FAULTS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ test, ...figures, at: new Date().toISOString() })}\n`);
}
