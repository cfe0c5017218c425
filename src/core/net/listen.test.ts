import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KedgeError } from '../errors/index.js';
import { closeServer, listen, listenPath } from './index.js';

const cannot = (err: Error, where: string) =>
  new KedgeError('KEDGE_TEST_LISTEN', `cannot listen on ${where}: ${err.message}`);

describe('listen', () => {
  it('resolves with the port it got, and rejects with the caller’s error when the port is taken', async () => {
    const first = createServer((_req, res) => res.end('ok'));
    const port = await listen(first, 0, '127.0.0.1', cannot);
    expect(port).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    const second = createServer();
    await expect(listen(second, port, '127.0.0.1', cannot)).rejects.toMatchObject({
      code: 'KEDGE_TEST_LISTEN',
      message: expect.stringContaining(`127.0.0.1:${port}: listen EADDRINUSE`),
    });
    await closeServer(first);
    expect(first.listening).toBe(false);
  });

  it('closes a plain TCP server once its owner ended the connections', async () => {
    const sockets = new Set<Socket>();
    const server = createTcpServer((s) => sockets.add(s));
    const port = await listen(server, 0, '127.0.0.1', cannot);
    const client = connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    while (sockets.size === 0) await new Promise((r) => setImmediate(r));
    let closed = false;
    const closing = closeServer(server).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false); // the connection is the owner's (an MQTT broker ends its clients)
    for (const s of sockets) s.destroy();
    await closing;
    expect(server.listening).toBe(false);
    client.destroy();
  });

  it('listens on a unix socket, and rejects with the caller’s error naming the path when it is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-net-'));
    const path = join(dir, 's.sock');
    const first = createTcpServer((s) => s.end('ok'));
    await listenPath(first, path, cannot);
    const reply = await new Promise<string>((resolve) => {
      const c = connect(path);
      c.on('data', (d) => resolve(d.toString()));
    });
    expect(reply).toBe('ok');
    await expect(listenPath(createTcpServer(), path, cannot)).rejects.toMatchObject({
      code: 'KEDGE_TEST_LISTEN',
      message: expect.stringContaining(`${path}: listen EADDRINUSE`),
    });
    await closeServer(first);
    rmSync(dir, { recursive: true, force: true });
  });
});
