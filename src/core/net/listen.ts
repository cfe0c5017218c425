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

/** As listen(), on a unix socket at `path` (the caller removes a stale socket file first). */
export function listenPath(
  server: Server,
  path: string,
  cannot: (err: Error, where: string) => KedgeError,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(cannot(err, path));
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Stops a server and resolves once it is closed. An HTTP server's open connections (keep-alive, a
 * waiting request) are cut first; a plain TCP server's connections are its owner's to end.
 */
export function closeServer(server: Server | HttpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
