/**
 * The API server double in a process of its own (for bench/kube-status.bench.ts: the bench's CPU
 * is then the cloud's alone). Prints `ready <url> <kubeconfig>`; answers `stats` on stdin with
 * one JSON line of request counts by method and resource kind; exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { startTestApiServer } from '../hil-tests/support/kube-apiserver/index.js';

const kubeconfig = process.argv[2]!;
const server = await startTestApiServer({ token: 'bench-admin-token-0123456789' });
server.writeKubeconfig(kubeconfig);
process.stdout.write(`ready ${server.url} ${kubeconfig}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'stats') return;
  const counts: Record<string, number> = {};
  for (const r of server.requests) {
    const kind = /\/(devices|devicemodels|devicestatuses|nodes|leases)(\/[^/]+)?(\/status)?$/.exec(r.path);
    const key = `${r.method} ${kind ? `${kind[1]}${kind[2] ? '/x' : ''}${kind[3] ?? ''}` : r.path}${r.query.get('watch') ? ' watch' : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  process.stdout.write(`${JSON.stringify({ total: server.requests.length, counts })}\n`);
});
lines.on('close', () => void server.stop().then(() => process.exit(0)));
