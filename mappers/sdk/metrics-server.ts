import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { mapperErrors } from './errors.js';
import { listen, closeServer } from '../../src/core/net/index.js';

/** `/metrics` for Prometheus on 127.0.0.1 only: metrics name devices, they stay on the node. */
export async function serveMetrics(
  registry: Registry,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(`metrics failed: ${(err as Error).message}\n`),
    );
  });
  const bound = await listen(server, port, '127.0.0.1', (err, where) =>
    mapperErrors.create('KEDGE_MAPPER_METRICS_LISTEN', `cannot serve metrics on ${where}: ${err.message}`, {
      cause: err,
    }),
  );
  return {
    port: bound,
    close: () => closeServer(server),
  };
}
