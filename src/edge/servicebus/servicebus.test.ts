import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bus } from '../../core/bus/index.js';
import { silentLogger } from '../../core/log/index.js';
import type { EdgeChannels, EdgeRequests } from '../../contracts/index.js';
import { compileAllowList } from './allow.js';
import { ServiceBus } from './module.js';

describe('ServiceBus', () => {
  let upstream: Server;
  let upstreamPort = 0;
  let sb: ServiceBus | undefined;
  const bus = () => new Bus<EdgeChannels, EdgeRequests>({ logger: silentLogger() });

  beforeEach(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      if (req.url === '/big') return void res.end('b'.repeat(5000));
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(201, { 'x-echo': req.method ?? '' }).end(`${req.url}|${body}`));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    upstream.closeAllConnections();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('matches host:port patterns with *', () => {
    const allowed = compileAllowList(['127.0.0.1:*', '10.0.0.*:80']);
    expect(allowed('127.0.0.1:8080')).toBe(true);
    expect(allowed('10.0.0.7:80')).toBe(true);
    expect(allowed('10.0.0.7:81')).toBe(false);
    expect(allowed('127.0.0.10:80')).toBe(false);
  });

  it('forwards HTTP calls to allowed targets and refuses others with 403, slow ones with 504, big ones with 413/502', async () => {
    sb = new ServiceBus({
      bus: bus(),
      logger: silentLogger(),
      port: 0,
      allow: ['127.0.0.1:*'],
      limits: { timeoutMs: 300, maxRequestBytes: 100, maxResponseBytes: 1000 },
    });
    await sb.start();
    const base = `http://127.0.0.1:${sb.port}/127.0.0.1:${upstreamPort}`;
    const ok = await fetch(`${base}/hello?x=1`, { method: 'POST', body: 'hi' });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('x-echo')).toBe('POST');
    expect(await ok.text()).toBe('/hello?x=1|hi');
    const forbidden = await fetch(`http://127.0.0.1:${sb.port}/localhost:${upstreamPort}/x`);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('KEDGE_SERVICEBUS_FORBIDDEN');
    expect((await fetch(`${base}/slow`)).status).toBe(504);
    expect((await fetch(`${base}/x`, { method: 'POST', body: 'z'.repeat(200) })).status).toBe(413);
    expect((await fetch(`${base}/big`)).status).toBe(502);
  });

  it('serves the servicebus.call bus request for the cloud link', async () => {
    const b = bus();
    sb = new ServiceBus({ bus: b, logger: silentLogger(), port: 0, allow: ['127.0.0.1:*'] });
    await sb.start();
    const res = await b.request('servicebus.call', {
      method: 'PUT',
      target: `127.0.0.1:${upstreamPort}`,
      path: '/p',
      body: Buffer.from('data').toString('base64'),
    });
    expect(res.status).toBe(201);
    expect(Buffer.from(res.body, 'base64').toString()).toBe('/p|data');
    await expect(
      b.request('servicebus.call', { method: 'GET', target: '192.168.1.1:80', path: '/' }),
    ).rejects.toMatchObject({ code: 'KEDGE_SERVICEBUS_FORBIDDEN' });
  });
});
