import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest, HttpRequestError } from './request.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1], port = 0): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  return (s.address() as AddressInfo).port;
}

async function rejection(p: Promise<unknown>): Promise<HttpRequestError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpRequestError);
    return err as HttpRequestError;
  }
  throw new Error('expected a rejection');
}

describe('httpRequest', () => {
  it('sends method, headers and body, and returns status, headers and text', async () => {
    const port = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(201, { 'x-echo': req.headers['x-test'] ?? '' });
        res.end(`${req.method} ${req.url} ${req.headers['content-length']} ${body}`);
      });
    });
    const res = await httpRequest({
      url: `http://127.0.0.1:${port}/a?b=1`,
      method: 'PUT',
      headers: { 'x-test': 'yes' },
      body: 'héllo',
      timeoutMs: 5000,
    });
    expect(res).toMatchObject({ status: 201, text: 'PUT /a?b=1 6 héllo' });
    expect(res.headers['x-echo']).toBe('yes');
  });

  it('reaches port 10080, which fetch refuses as a "bad port"', async (ctx) => {
    let port: number;
    try {
      port = await serve((_req, res) => res.end('ok'), 10080);
    } catch (err) {
      ctx.skip(`port 10080 is taken on this machine (${(err as Error).message})`);
    }
    await expect(fetch(`http://127.0.0.1:${port!}/`)).rejects.toThrow('fetch failed');
    expect((await httpRequest({ url: `http://127.0.0.1:${port!}/`, timeoutMs: 5000 })).text).toBe('ok');
  });

  it('says "connection refused" when nothing listens, with the socket code', async () => {
    const port = await serve(() => undefined);
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 20));
    const err = await rejection(httpRequest({ url: `http://127.0.0.1:${port}/`, timeoutMs: 5000 }));
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toMatch(/^connection refused/);
  });

  it('gives up after timeoutMs with ETIMEDOUT', async () => {
    const port = await serve(() => undefined); // never answers
    const err = await rejection(httpRequest({ url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }));
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.message).toBe('no answer within 200 ms');
  });

  it('refuses a URL that is not http(s)', async () => {
    const err = await rejection(httpRequest({ url: 'ftp://127.0.0.1/', timeoutMs: 200 }));
    expect(err.message).toContain('only http:// and https://');
  });
});
