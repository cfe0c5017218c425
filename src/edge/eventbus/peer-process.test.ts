import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { containerOf, peerProcess } from './peer-process.js';

describe('the process at the other end of a loopback connection (/proc)', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  it('finds this process and its cgroups for a connection it made to itself', async () => {
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer((s) => {
        sockets.push(s);
        resolve(s);
      }).listen(0, '127.0.0.1');
    });
    await new Promise((r) => server!.once('listening', r));
    const port = (server!.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    sockets.push(client);
    const peer = await peerProcess(await accepted);
    expect(peer?.pid).toBe(process.pid);
    expect(peer?.cgroup).toBe(readFileSync('/proc/self/cgroup', 'utf8'));
    // Not loopback, or a port nobody uses: nothing.
    expect(await peerProcess({ remoteAddress: '10.0.0.7', remotePort: 4000, localPort: port })).toBeUndefined();
    expect(await peerProcess({ remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2 })).toBeUndefined();
  });

  it('names the container whose id the cgroups carry (podman cgroupfs and systemd, Docker)', () => {
    const id = 'a'.repeat(64);
    expect(containerOf(`0::/libpod_parent/libpod-${id}\n`, ['b'.repeat(64), id])).toBe(id);
    expect(containerOf(`1:name=systemd:/machine.slice/libpod-${id}.scope\n`, [id])).toBe(id);
    expect(containerOf(`0::/docker/${id}\n`, [id])).toBe(id);
    expect(containerOf('0::/user.slice\n', [id])).toBeUndefined();
    expect(containerOf('0::/\n', [''])).toBeUndefined();
  });
});
