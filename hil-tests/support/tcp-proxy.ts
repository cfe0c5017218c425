/**
 * A TCP proxy on loopback that a test can cut: the way to partition one process from a server
 * (etcd) without touching the server. `cut()` blackholes: open connections stop carrying bytes
 * and new ones are accepted but go nowhere, as behind a dead link (no RST that would tell the
 * client at once). `heal()` closes the blackholed sockets and forwards again.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let blackhole = false;
  const pairs = new Set<{ a: Socket; b: Socket | undefined }>();
  const server: Server = createServer((a) => {
    const pair: { a: Socket; b: Socket | undefined } = { a, b: undefined };
    pairs.add(pair);
    a.on('error', () => {});
    a.on('close', () => {
      pair.b?.destroy();
      pairs.delete(pair);
    });
    if (blackhole) {
      a.pause();
      return;
    }
    const b = connect(targetPort, targetHost);
    pair.b = b;
    b.on('error', () => a.destroy());
    b.on('close', () => a.destroy());
    a.on('data', (d) => {
      if (!blackhole) b.write(d);
    });
    b.on('data', (d) => {
      if (!blackhole) a.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      blackhole = true;
    },
    heal: () => {
      blackhole = false;
      for (const p of [...pairs]) {
        p.a.destroy();
        p.b?.destroy();
      }
    },
    close: async () => {
      for (const p of [...pairs]) {
        p.a.destroy();
        p.b?.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
