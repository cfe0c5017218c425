import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRequestError } from './request.js';
import { httpStream } from './stream.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const s = createServer((_req, res) => handler(res));
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/log`;
}

describe('httpStream', () => {
  it('hands over the text as it comes, a character split across pieces kept whole', async () => {
    const pieces: string[] = [];
    let second!: () => void;
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const euro = Buffer.from('€');
      res.write(Buffer.concat([Buffer.from('a\n'), euro.subarray(0, 1)]));
      second = () => res.end(Buffer.concat([euro.subarray(1), Buffer.from('\n')]));
    });
    const done = httpStream({ url, timeoutMs: 5000 }, (t) => {
      pieces.push(t);
      second(); // the rest is sent only once the first piece arrived: it came before the end
    });
    expect(await done).toMatchObject({ status: 200, text: '' });
    expect(pieces).toEqual(['a\n', '€\n']);
  });

  it('reads an error answer whole into text, for its error body', async () => {
    const url = await serve((res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"KEDGE_EDGED_NO_POD"}}');
    });
    const pieces: string[] = [];
    const res = await httpStream({ url, timeoutMs: 5000 }, (t) => pieces.push(t));
    expect(res).toMatchObject({ status: 404, text: '{"error":{"code":"KEDGE_EDGED_NO_POD"}}' });
    expect(pieces).toEqual([]);
  });

  it('resolves when the reader aborts a followed answer, and rejects when the connection drops', async () => {
    const open: ServerResponse[] = [];
    const url = await serve((res) => {
      res.writeHead(200);
      res.write('line\n');
      open.push(res);
    });
    const abort = new AbortController();
    const followed = httpStream({ url, timeoutMs: 5000, signal: abort.signal }, () => abort.abort());
    expect((await followed).status).toBe(200);

    const dropped = httpStream({ url, timeoutMs: 5000 }, () => open.at(-1)!.destroy());
    const err = await dropped.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpRequestError);
  });

  it('gives up with ETIMEDOUT when the answer does not begin in time', async () => {
    const url = await serve(() => undefined);
    const err = await httpStream({ url, timeoutMs: 100 }, () => undefined).then(
      () => undefined,
      (e: unknown) => e as HttpRequestError,
    );
    expect(err?.code).toBe('ETIMEDOUT');
  });
});
