import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type { KedgeError } from '../errors/index.js';

/**
 * Starts `server` on host:port and resolves with the port it got (0 picks a free one). When it
 * cannot (port taken, no such address), rejects with the caller's error, whose code names who
 * could not listen (KEDGE_API_LISTEN, KEDGE_CLOUDHUB_LISTEN, ...). The error listener is removed
 * once listening, so later errors reach the server's own handlers.
 */
export function listen(
  server: Server,
  port: number,
  host: string,
  cannot: (err: Error, where: string) => KedgeError,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(cannot(err, `${host}:${port}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops an HTTP server: open connections (keep-alive, a waiting request) are cut, then it closes. */
export function closeServer(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
