import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeTopics, type MapperDeviceSet } from '../../src/contracts/index.js';
import { systemClock } from '../../src/core/clock/index.js';
import { createLogger, silentLogger } from '../../src/core/log/index.js';
import type { DeviceInstance } from '../../src/model/index.js';
import type { DriverContext, ProtocolDriver } from './contract.js';
import { driverRegistry } from './driver-registry.js';
import { HELD_FILE, MapperRuntime } from './runtime.js';

/** aedes on a port that can be closed and opened again (the edge going down and coming back). */
class Broker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.aedes = await Aedes.createBroker();
    this.server = createServer(this.aedes.handle);
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = this.server = undefined;
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

/** A driver that "polls" every device every 10 ms: readings numbered 0, 1, 2, ... per device. */
class CountingDriver implements ProtocolDriver {
  readonly protocol = 'counting';
  readonly devices = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;

  constructor(private readonly ctx: DriverContext) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      const n = this.seq++;
      for (const id of this.devices)
        this.ctx.readings(id, [{ property: 'n', value: n, quality: 'good', ts: Date.now() }]);
    }, 10);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  async addDevice(d: DeviceInstance): Promise<void> {
    this.devices.add(d.id);
  }

  async removeDevice(id: string): Promise<void> {
    this.devices.delete(id);
  }

  async write(): Promise<never> {
    throw new Error('read only');
  }
}

const set: MapperDeviceSet = {
  node: 'n1',
  protocol: 'counting',
  version: 1,
  devices: [
    {
      id: 'default/c1',
      name: 'c1',
      namespace: 'default',
      protocol: 'counting',
      model: 'm',
      protocolConfig: {},
      properties: [
        {
          name: 'n',
          type: 'INT',
          accessMode: 'ReadOnly',
          visitor: {},
          collectCycleMs: 10,
          reportCycleMs: 10,
          reportToCloud: true,
        },
      ],
    } as unknown as DeviceInstance,
  ],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a mapper whose broker goes away', () => {
  const broker = new Broker();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await broker.stop();
    broker.port = 0;
  });

  /** The retained device set and a subscriber collecting the numbers the broker receives. */
  async function watch(): Promise<{ numbers: number[]; client: MqttClient }> {
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    const numbers: number[] = [];
    client.on('message', (_t, payload) => {
      const p = JSON.parse(payload.toString()) as { readings: Array<{ value: number }> };
      for (const r of p.readings) numbers.push(r.value);
    });
    await client.subscribeAsync(edgeTopics.dataRaw('default/c1'), { qos: 1 });
    await client.publishAsync(edgeTopics.mapperDevices('counting'), JSON.stringify(set), { qos: 1, retain: true });
    return { numbers, client };
  }

  function mapper(dataDir: string, bytes: number, offlinePollMs = 60_000) {
    let driver: CountingDriver | undefined;
    const metrics = new Registry();
    const runtime = new MapperRuntime({
      name: 'counting-mapper',
      node: 'n1',
      protocols: ['counting'],
      mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
      dataDir,
      logger: process.env.DEBUG_T ? createLogger({ level: 'debug' }) : silentLogger(),
      clock: systemClock,
      metrics,
      reconnectPeriodMs: 100,
      buffer: { bytes, offlinePollMs },
      drivers: driverRegistry({
        counting: async () => ({ createDriver: (ctx: DriverContext) => (driver = new CountingDriver(ctx)) }),
      }),
    });
    return { runtime, metrics, driver: () => driver };
  }

  it('holds what it polled meanwhile and sends it in order, before newer readings, once the broker is back', async () => {
    await broker.start();
    let w = await watch();
    const m = mapper(mkdtempSync(join(tmpdir(), 'kedge-offline-')), 1 << 20);
    await m.runtime.start();
    cleanups.push(() => m.runtime.stop());
    while (w.numbers.length < 5) await sleep(10);
    await broker.stop();
    await sleep(400); // ~40 polls while the broker is away
    await broker.start();
    w = await watch();
    while (w.numbers.length < 60) await sleep(10);
    // Everything from the first reading after the restart on, without a gap or a repeat.
    const got = w.numbers;
    expect(got).toEqual(got.map((_, i) => got[0]! + i));
    expect(got[0]).toBeLessThanOrEqual(8); // the held ones came first
  });

  it('drops the oldest beyond mapper.bufferBytes, counted, and keeps the newest without a gap', async () => {
    await broker.start();
    let w = await watch();
    const m = mapper(mkdtempSync(join(tmpdir(), 'kedge-offline-')), 4096);
    await m.runtime.start();
    cleanups.push(() => m.runtime.stop());
    while (w.numbers.length < 3) await sleep(10);
    await broker.stop();
    const before = w.numbers;
    await sleep(600);
    await broker.start();
    w = await watch();
    while (w.numbers.length < 40) await sleep(10);
    const dropped = await m.metrics.getSingleMetricAsString('kedge_mapper_buffer_dropped_readings_total');
    const n = Number(/ (\d+)$/m.exec(dropped)![1]);
    expect(n).toBeGreaterThan(10);
    // Messages in flight when the broker went may reach both brokers (QoS 1 is at least once).
    // Apart from that, what is missing is exactly what was dropped, in one piece: the oldest held.
    const seen = [...new Set([...before, ...w.numbers])].sort((a, b) => a - b);
    expect(seen.at(-1)! - seen[0]! + 1 - seen.length).toBe(n);
    expect(seen.filter((v, i) => i > 0 && v !== seen[i - 1]! + 1)).toHaveLength(1);
    expect(w.numbers.every((v, i) => i === 0 || v > w.numbers[i - 1]!)).toBe(true);
  });

  it('keeps held readings in a file when stopped, and the next run sends them first', async () => {
    await broker.start();
    let w = await watch();
    const dir = mkdtempSync(join(tmpdir(), 'kedge-offline-'));
    const first = mapper(dir, 1 << 20);
    await first.runtime.start();
    while (w.numbers.length < 3) await sleep(10);
    await broker.stop();
    const lastSeen = w.numbers.at(-1)!;
    // Polls while the broker is away (a count, not a time: a loaded machine polls less often).
    while (first.runtime.heldReadings < 20) await sleep(10);
    await first.runtime.stop(); // the restarted edge's SIGTERM to its orphan
    expect(existsSync(join(dir, HELD_FILE))).toBe(true);
    await broker.start();
    w = await watch();
    const second = mapper(dir, 1 << 20);
    await second.runtime.start();
    cleanups.push(() => second.runtime.stop());
    const restarted = () => w.numbers.findIndex((v, i) => i > 0 && v < w.numbers[i - 1]!);
    while (restarted() < 0 || w.numbers.length < restarted() + 5) await sleep(10);
    // The first run's numbers continue where the watcher left off; the second run counts from 0 again.
    const restart = restarted();
    const held = w.numbers.slice(0, restart);
    expect(held.length).toBeGreaterThanOrEqual(20);
    expect(held).toEqual(held.map((_, i) => held[0]! + i));
    // No gap after what the broker had: the held ones start at most right after it.
    expect(held[0]).toBeLessThanOrEqual(lastSeen + 1);
    expect(w.numbers[restart]).toBe(0);
    expect(existsSync(join(dir, HELD_FILE))).toBe(false);
  });

  it('stops polling after mapper.offlinePollMs and starts again when the broker and its device set are back', async () => {
    await broker.start();
    let w = await watch();
    const m = mapper(mkdtempSync(join(tmpdir(), 'kedge-offline-')), 1 << 20, 300);
    await m.runtime.start();
    cleanups.push(() => m.runtime.stop());
    while (w.numbers.length < 3) await sleep(10);
    await broker.stop();
    await sleep(700);
    expect(m.driver()!.devices.size).toBe(0); // no longer polled
    await broker.start();
    w = await watch();
    while (m.driver()!.devices.size === 0) await sleep(10);
    while (w.numbers.length < 10) await sleep(10);
    expect(w.numbers.length).toBeGreaterThanOrEqual(10);
  });
});
