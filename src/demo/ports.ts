import { createServer, Socket } from 'node:net';
import { closeServer } from '../core/net/index.js';
import { demoErrors } from './errors.js';

/** Throws KEDGE_DEMO_PORT_BUSY naming `flag` when `port` cannot be bound on `host`. */
export async function assertPortFree(port: number, flag: string, host = '0.0.0.0'): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is busy' : `cannot be used (${code ?? (err as Error).message})`;
    throw demoErrors.create('KEDGE_DEMO_PORT_BUSY', `port ${port} ${why}: pass ${flag} <port> with a free port`, {
      cause: err,
    });
  } finally {
    if (server.listening) await closeServer(server);
  }
}

/** A port that was free on 127.0.0.1 a moment ago (for simulators the demo starts itself). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await closeServer(server);
  return port;
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}
