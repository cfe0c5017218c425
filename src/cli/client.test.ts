import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isKedgeError } from '../core/errors/index.js';
import { runValidate } from './commands/validate.js';
import { runApply } from './commands/apply.js';
import { parseAssignments } from './commands/twin.js';
import { ApiClient, formatAge, formatTable, parseObjectName, resolveTarget, twinTable } from '../client/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('API client', () => {
  it('a ServiceBus call answer without status and body is KEDGE_CLIENT_BAD_RESPONSE; a good one is returned', async () => {
    let answer: unknown = { ok: true };
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/api/v1/nodes/n%201/services' ? answer : {}));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, kind: 'cloud' });
    const err = await errorOf(client.serviceCall('n 1', { method: 'GET', target: 'a:1', path: '/' }, 5000));
    expect(isKedgeError(err) && err.code).toBe('KEDGE_CLIENT_BAD_RESPONSE');
    answer = { status: 204, headers: {}, body: '' };
    expect(await client.serviceCall('n 1', { method: 'GET', target: 'a:1', path: '/' }, 5000)).toEqual(answer);
  });

  it('defaults to the cloud on 10090, --edge to 10550, --server wins', () => {
    expect(resolveTarget({})).toEqual({ url: 'http://127.0.0.1:10090', kind: 'cloud' });
    expect(resolveTarget({ edge: true })).toEqual({ url: 'http://127.0.0.1:10550', kind: 'edge' });
    expect(resolveTarget({ server: 'http://cloud:9/' })).toEqual({ url: 'http://cloud:9', kind: 'cloud' });
    expect(() => resolveTarget({ server: 'ftp://x' })).toThrow(/http:\/\//);
  });

  it('says plainly that no cloud answers, and how to start one', async () => {
    const port = await closedPort();
    const err = await errorOf(new ApiClient({ url: `http://127.0.0.1:${port}`, kind: 'cloud' }).devices());
    expect(isKedgeError(err) && err.code).toBe('KEDGE_CLIENT_UNREACHABLE');
    expect((err as Error).message).toBe(
      `no kedge cloud answers at http://127.0.0.1:${port} (connection refused): start one with \`kedge cloud\` or pass --server`,
    );
    const edgeErr = await errorOf(new ApiClient({ url: `http://127.0.0.1:${port}`, kind: 'edge' }).devices());
    expect((edgeErr as Error).message).toContain('no kedge edge answers');
  });

  it("turns the server's error body into a KedgeError with its code, message and hint", async () => {
    const s = createServer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: 'KEDGE_API_IN_USE',
            message: 'devicemodel default/m is used by device default/d',
            hint: 'delete the device first',
          },
        }),
      );
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const client = new ApiClient({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, kind: 'cloud' });
    const err = await errorOf(client.delete('devicemodel', 'default', 'm'));
    expect(isKedgeError(err) && err.toLine()).toBe(
      'KEDGE_API_IN_USE: devicemodel default/m is used by device default/d — delete the device first',
    );
  });

  it('refuses an answer that is not JSON', async () => {
    const s = createServer((_req, res) => res.end('<html>hello</html>'));
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const err = await errorOf(
      new ApiClient({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, kind: 'cloud' }).nodes(),
    );
    expect(isKedgeError(err) && err.code).toBe('KEDGE_CLIENT_BAD_RESPONSE');
  });
});

describe('CLI helpers', () => {
  it('parses <ns>/<name> and <name>', () => {
    expect(parseObjectName('plant/em24')).toEqual({ namespace: 'plant', name: 'em24' });
    expect(parseObjectName('em24')).toEqual({ namespace: 'default', name: 'em24' });
    expect(() => parseObjectName('a/b/c')).toThrow(/<namespace>\/<name>/);
  });

  it('parses <prop>=<value>, keeping "=" inside values', () => {
    expect(parseAssignments(['relay1=true', 'label=a=b', 'empty='])).toEqual({
      relay1: 'true',
      label: 'a=b',
      empty: '',
    });
    expect(() => parseAssignments(['=3'])).toThrow(/<property>=<value>/);
  });

  it('formats tables, ages and twins', () => {
    expect(
      formatTable([
        ['A', 'LONGER'],
        ['xxxxx', 'y'],
      ]),
    ).toBe('A       LONGER\nxxxxx   y\n');
    expect(formatTable([['A']])).toBe('No resources found.\n');
    expect([formatAge(0, 5_000), formatAge(0, 600_000), formatAge(0, 3 * 3600_000), formatAge(undefined)]).toEqual([
      '5s',
      '10m',
      '3h',
      '-',
    ]);
    const rows = twinTable(
      {
        id: 'default/d',
        state: 'online',
        properties: {
          b: { desired: { value: '2', ts: 0, version: 1 }, failed: { reason: 'write refused', ts: 0 } },
          c: {
            reported: { value: '7', quality: 'uncertain', reason: 'holding last good value: spike', ts: 0, version: 2 },
          },
          a: {
            desired: { value: '1', ts: 0, version: 1 },
            reported: { value: '1', quality: 'good', ts: 0, version: 3 },
          },
        },
      },
      2_000,
    );
    expect(rows).toEqual([
      ['PROPERTY', 'DESIRED', 'REPORTED', 'QUALITY', 'AGE', 'SYNC'],
      ['a', '1', '1', 'good', '2s', 'in sync'],
      ['b', '2', '-', '-', '-', 'failed: write refused'],
      ['c', '-', '7', 'uncertain: holding last good value: spike', '2s', '-'],
    ]);
  });
});

describe('kedge apply (before sending)', () => {
  it('prints exactly what kedge validate prints and sends nothing when a file has an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-apply-'));
    try {
      const file = join(dir, 'device.yaml');
      writeFileSync(
        file,
        'apiVersion: devices.kubeedge.io/v1beta1\nkind: Devcie\nmetadata:\n  name: d1\nspec:\n  deviceModelRef:\n    name: nowhere\n  protocol:\n    protocolName: custom\n',
      );
      const validateLines: string[] = [];
      await runValidate([file], (l) => validateLines.push(l));
      const out: string[] = [];
      // Nothing listens on this port: reaching the network would throw instead of returning 1.
      const code = await runApply({ filename: [file], server: `http://127.0.0.1:${await closedPort()}` }, (t) =>
        out.push(t),
      );
      expect(code).toBe(1);
      expect(out[0]).toBe(`${validateLines[0]}\n`);
      expect(out[0]).toContain('did you mean Device?');
      expect(out.at(-1)).toBe('1 error: nothing applied\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
