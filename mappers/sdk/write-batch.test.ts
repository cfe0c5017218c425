import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteBatch } from './write-batch.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A loopback socket pair; `chunks` are the data events the server side saw. */
async function pair(): Promise<{ client: net.Socket; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.createConnection({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  client.setNoDelay(true);
  await new Promise<void>((r) => client.once('connect', () => r()));
  cleanups.push(() => new Promise<void>((r) => {
    client.destroy();
    server.close(() => r());
  }));
  return { client, chunks };
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('WriteBatch', () => {
  it('writes made in separate turns within the window leave in one chunk, in order', async () => {
    const { client, chunks } = await pair();
    const batch = new WriteBatch(40);
    for (const text of ['a', 'b', 'c']) {
      batch.hold(client);
      client.write(text);
      await new Promise((r) => setImmediate(r)); // each write in its own turn, as readings arrive
    }
    expect(chunks).toEqual([]);
    await waitFor(() => chunks.length > 0);
    expect(Buffer.concat(chunks).toString()).toBe('abc');
    expect(chunks).toHaveLength(1);
  });

  it('flush sends at once; window 0 never holds', async () => {
    const { client, chunks } = await pair();
    const batch = new WriteBatch(60_000);
    batch.hold(client);
    client.write('x');
    batch.flush();
    await waitFor(() => chunks.length > 0);
    expect(Buffer.concat(chunks).toString()).toBe('x');
    const none = new WriteBatch(0);
    none.hold(client);
    client.write('y');
    await waitFor(() => Buffer.concat(chunks).toString() === 'xy');
    expect(Buffer.concat(chunks).toString()).toBe('xy');
  });
});
