import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { TcpProxy } from './harness/tcp-proxy.js';
import type { ServiceCallResponse, ApiErrorBody } from '../../src/contracts/index.js';

/** What the API answers a call with: the target's answer, or the error that kept the call from it. */
type ServiceAnswer = Partial<ServiceCallResponse> & Partial<ApiErrorBody>;
const NODE = 'sb-node';

/**
 * Cloud -> edge HTTP calls (KubeEdge's ServiceBus path) with real processes: `kedge cloud`,
 * `kedge edge` (default allow-list 127.0.0.1:* and localhost:*) connected through a TCP proxy the
 * test can cut, and a plain node:http server on 127.0.0.1 as the server on the edge network.
 */
describe('ServiceBus: the cloud calls an HTTP server on the edge network', () => {
  const dir = tempDir('kedge-e2e-servicebus-');
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let proxy: TcpProxy;
  let edge: KedgeProcess;
  let target: Server;
  let targetPort: number;
  let stoppedPort: number;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    target = createServer((req, res) => {
      if (req.url === '/hold') return void (release = () => res.end('released'));
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'text/plain', 'x-seen-header': String(req.headers['x-test'] ?? '') })
          .end(`${req.method} ${req.url} ${body}`),
      );
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    targetPort = (target.address() as AddressInfo).port;
    // A port that had a server and has none now: the "stopped target".
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', () => r()));
    stoppedPort = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));

    cloud = await startCloud(join(dir.path, 'cloud'));
    proxy = await TcpProxy.start(cloud.ports.hub);
    edge = await startEdge(await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${proxy.port}`, 'none'));
    await waitFor(() => nodeReady(cloud.api), 'the node connected to the cloud', 30_000, [edge, cloud.proc]);
  });

  afterAll(async () => {
    release?.();
    await edge?.stop();
    await proxy?.stop();
    await cloud?.proc.stop();
    target?.closeAllConnections();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    dir.remove();
  });

  const call = async (node: string, body: Record<string, unknown>) => {
    const res = await fetch(`${cloud.api}/api/v1/nodes/${node}/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as ServiceAnswer };
  };
  const text = (b64: string) => Buffer.from(b64, 'base64').toString();

  it('calls the server from the cloud API: method, path, headers and body there, its answer back', async () => {
    const res = await call(NODE, {
      method: 'POST',
      target: `127.0.0.1:${targetPort}`,
      path: '/echo?x=1',
      headers: { 'X-Test': 'yes' },
      body: Buffer.from('hello').toString('base64'),
    });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe(200);
    expect(res.json.headers?.['x-seen-header']).toBe('yes');
    expect(text(res.json.body ?? '')).toBe('POST /echo?x=1 hello');
  });

  it("refuses a target outside the allow-list with 403 and the edge's reason", async () => {
    const res = await call(NODE, { method: 'GET', target: `127.0.0.2:${targetPort}`, path: '/' });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({
      code: 'KEDGE_SERVICEBUS_FORBIDDEN',
      message: expect.stringContaining(`127.0.0.2:${targetPort} is not in the allow-list`),
    });
  });

  it('answers 502 with the reason for a stopped target', async () => {
    const res = await call(NODE, { method: 'GET', target: `127.0.0.1:${stoppedPort}`, path: '/' });
    expect(res.status).toBe(502);
    expect(res.json.error?.code).toBe('KEDGE_SERVICEBUS_UPSTREAM');
    expect(res.json.error?.message).toContain('ECONNREFUSED');
  });

  it('kedge call prints the status line and the body; -d @file and -H reach the server', async () => {
    const file = join(dir.path, 'body.txt');
    writeFileSync(file, 'from a file');
    const ok = await runKedge([
      'call',
      NODE,
      'put',
      `127.0.0.1:${targetPort}`,
      '/cfg',
      '-d',
      `@${file}`,
      '-H',
      'X-Test: cli',
      '--server',
      cloud.api,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('HTTP/1.1 200 OK\nPUT /cfg from a file');
  });

  it('kedge call fails with the reason for a forbidden target, a stopped one and a node that is not connected', async () => {
    const forbidden = await runKedge([
      'call',
      NODE,
      'GET',
      `localhost.invalid:${targetPort}`,
      '/',
      '--server',
      cloud.api,
    ]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stdout).toBe('');
    expect(forbidden.stderr).toMatch(
      /^kedge call: KEDGE_SERVICEBUS_FORBIDDEN: node sb-node: target localhost\.invalid:\d+ is not in the allow-list — Add the target/,
    );
    const stopped = await runKedge(['call', NODE, 'GET', `127.0.0.1:${stoppedPort}`, '/', '--server', cloud.api]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('KEDGE_SERVICEBUS_UPSTREAM: ');
    const absent = await runKedge([
      'call',
      'no-such-node',
      'GET',
      `127.0.0.1:${targetPort}`,
      '/',
      '--server',
      cloud.api,
    ]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('KEDGE_CLOUDHUB_NOT_CONNECTED: node no-such-node is not connected');
  });

  it('a call waiting when the link drops fails with 502 at once; after the reconnect calls work again', async () => {
    const pending = call(NODE, { method: 'GET', target: `127.0.0.1:${targetPort}`, path: '/hold', timeoutMs: 30_000 });
    await waitFor(() => release !== undefined, 'the server got the call', 10_000);
    proxy.cut();
    const res = await pending;
    expect(res.status).toBe(502);
    expect(res.json.error?.code).toBe('KEDGE_CLOUDHUB_LINK_LOST');
    release!();
    proxy.restore();
    await waitFor(() => nodeReady(cloud.api), 'the node connected again', 30_000, [edge, cloud.proc]);
    const again = await call(NODE, { method: 'GET', target: `localhost:${targetPort}`, path: '/again' });
    expect(again.status).toBe(200);
    expect(text(again.json.body ?? '')).toBe('GET /again ');
  });
});

async function nodeReady(api: string): Promise<boolean> {
  try {
    const res = await fetch(`${api}/api/v1/nodes`);
    const items = ((await res.json()) as { items?: Array<{ name: string; ready: boolean }> }).items ?? [];
    return items.some((n) => n.name === NODE && n.ready);
  } catch {
    return false;
  }
}
