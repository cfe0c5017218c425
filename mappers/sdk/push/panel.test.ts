import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/core/clock/index.js';
import { silentLogger } from '../../../src/core/log/index.js';
import { createMetricsRegistry } from '../../../src/core/metrics/index.js';
import type { DeviceInstance, PushMethod } from '../../../src/model/index.js';
import { goLocalTime } from './format.js';
import { PushPanel } from './panel.js';

function device(push: PushMethod, reportCycleMs = 50): DeviceInstance {
  return {
    id: 'default/thermo-1',
    namespace: 'default',
    name: 'thermo-1',
    model: 'thermo',
    protocol: 'modbus',
    protocolConfig: {},
    properties: [
      {
        name: 'temperature',
        type: 'FLOAT',
        accessMode: 'ReadOnly',
        visitor: {},
        collectCycleMs: 50,
        reportCycleMs,
        reportToCloud: false,
        pushMethod: push,
      },
      {
        name: 'setpoint',
        type: 'INT',
        accessMode: 'ReadWrite',
        visitor: {},
        collectCycleMs: 50,
        reportCycleMs: 50,
        reportToCloud: false,
      },
    ],
  };
}

describe('pushMethod in kedge mappers (KubeEdge mapper-framework data/publish)', () => {
  const cleanup: Array<() => Promise<unknown> | undefined> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function broker(): Promise<{
    url: string;
    received: Array<{ topic: string; payload: string; retain: boolean }>;
  }> {
    const aedes = await Aedes.createBroker();
    const server: Server = createServer((s) => aedes.handle(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => aedes.close(() => server.close(() => r()))));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    const consumer = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    cleanup.push(() => consumer.endAsync(true));
    const received: Array<{ topic: string; payload: string; retain: boolean }> = [];
    consumer.on('message', (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await consumer.subscribeAsync('plant/#');
    return { url, received };
  }

  async function httpServer(
    status = 200,
  ): Promise<{ port: number; bodies: Array<{ path: string; type: string; body: string }> }> {
    const bodies: Array<{ path: string; type: string; body: string }> = [];
    const server: HttpServer = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    return { port: (server.address() as { port: number }).port, bodies };
  }

  function panel() {
    const metrics = createMetricsRegistry();
    const p = new PushPanel({ clock: systemClock, logger: silentLogger(), metrics, clientId: 'test-mapper' });
    cleanup.push(() => p.stop());
    return { panel: p, metrics };
  }

  it('pushes the newest reading every reportCycle in KubeEdge payloads, over mqtt and http', async () => {
    const { url, received } = await broker();
    const http = await httpServer();
    const { panel: p, metrics } = panel();
    const d = device({
      mqtt: { address: url, topic: 'plant/temperature', qos: 1, retained: true },
      http: { hostName: 'http://127.0.0.1', port: http.port, requestPath: '/data' },
    });
    const ts = Date.now();
    p.readings(d, [
      { property: 'temperature', value: 21.5, quality: 'good', ts },
      { property: 'setpoint', value: 20, quality: 'good', ts },
    ]);
    await vi.waitFor(() => expect(received.length + http.bodies.length).toBe(2), { timeout: 10_000, interval: 20 });
    // mqtt/client.go: "time is " + time + "  " + topic + ": " + value
    const payload = `time is ${goLocalTime(ts)}  plant/temperature: 21.5`;
    expect(received).toEqual([{ topic: 'plant/temperature', payload, retain: false }]);
    // retained: true -> a consumer that subscribes later gets it from the broker.
    const late = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    cleanup.push(() => late.endAsync(true));
    const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
      late.once('message', (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain })),
    );
    await late.subscribeAsync('plant/temperature');
    expect(await retained).toEqual({ payload, retain: true });
    // http/client.go: POST form "<property>=<value>&time=<time>" to hostName:port + requestPath
    expect(http.bodies).toEqual([
      { path: '/data', type: 'application/x-www-form-urlencoded', body: `temperature=21.5&time=${goLocalTime(ts)}` },
    ]);
    expect(goLocalTime(ts)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // Nothing new read: nothing pushed again; a bad reading is not pushed either.
    p.readings(d, [{ property: 'temperature', value: null, quality: 'bad', ts: ts + 1, reason: 'timeout' }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(1);
    expect(http.bodies).toHaveLength(1);
    p.readings(d, [{ property: 'temperature', value: 22, quality: 'uncertain', ts: ts + 2 }]);
    await vi.waitFor(() => expect(http.bodies).toHaveLength(2), { timeout: 10_000, interval: 20 });
    expect(http.bodies[1]?.body).toMatch(/^temperature=22&time=/);
    const text = await metrics.metrics();
    expect(text).toMatch(/kedge_mapper_pushes_total\{method="http",outcome="ok"\} 2/);
  });

  it('counts a refused push and stops pushing for a device it forgets', async () => {
    const http = await httpServer(500);
    const { panel: p, metrics } = panel();
    const d = device({ http: { hostName: '127.0.0.1', port: http.port, requestPath: 'in' } });
    p.readings(d, [{ property: 'temperature', value: 1, quality: 'good', ts: Date.now() }]);
    await vi.waitFor(async () => expect(await metrics.metrics()).toMatch(/method="http",outcome="failed"\} 1/), {
      timeout: 10_000,
      interval: 20,
    });
    expect(http.bodies[0]?.path).toBe('/in');
    p.forget(d.id);
    p.readings(d, [{ property: 'temperature', value: 2, quality: 'good', ts: Date.now() }]);
    p.forget(d.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(http.bodies).toHaveLength(1);
  });

  it('a broker that is not there fails the push (counted), without queueing readings', async () => {
    const { panel: p, metrics } = panel();
    const d = device({ mqtt: { address: 'mqtt://127.0.0.1:1', topic: 'plant/t' } });
    p.readings(d, [{ property: 'temperature', value: 1, quality: 'good', ts: Date.now() }]);
    await vi.waitFor(async () => expect(await metrics.metrics()).toMatch(/method="mqtt",outcome="failed"\} 1/), {
      timeout: 15_000,
      interval: 50,
    });
  });
});
