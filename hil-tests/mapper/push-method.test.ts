/**
 * pushMethod (KubeEdge v1beta1 DeviceProperty.pushMethod) end to end: kedge edge with its Modbus
 * mapper against the Modbus simulator; the Device asks for the temperature to be pushed to a
 * plant broker (mosquitto, a broker of its own beside the edge's) and to an HTTP endpoint, as
 * KubeEdge's mapper template pushes them (_template/mapper/data/publish/{mqtt,http}/client.go).
 */
import { createServer, type Server } from 'node:http';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { startMosquitto, type TestBroker } from '../support/brokers.js';
import { startEdge, thermostat, thermostatModel, type RunningEdge } from '../edge/fixtures.js';

describe('pushMethod: a kedge mapper pushes readings where the Device says', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('mqtt to a plant broker and http to a server, every reportCycle, in KubeEdge payloads', async () => {
    const sim = new ModbusSim({ units: [1] });
    const endpoint = await sim.listenTcp();
    cleanup.push(() => sim.stop());
    sim.memory(1).writeRegisters('HoldingRegister', 0, [215]);
    const plant: TestBroker = await startMosquitto();
    cleanup.push(() => plant.close());
    const consumer = await mqtt.connectAsync(plant.url, { reconnectPeriod: 0 });
    cleanup.push(() => consumer.endAsync(true));
    const pushed: string[] = [];
    consumer.on('message', (_t, p) => pushed.push(p.toString()));
    await consumer.subscribeAsync('plant/line-1/temperature');
    const posts: Array<{ path: string; body: string }> = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;

    const edge: RunningEdge = await startEdge({ mappers: 'inprocess' });
    cleanup.push(() => edge.close());
    const device = thermostat('thermo-push', {}, endpoint.port);
    Object.assign(device.spec.properties[0]!, {
      reportCycle: 300,
      pushMethod: {
        mqtt: { address: plant.url, topic: 'plant/line-1/temperature', qos: 1 },
        http: { hostName: 'http://127.0.0.1', port, requestPath: '/readings' },
      },
    });
    await edge.node.bus.request('meta.apply', { documents: [thermostatModel(), device] });

    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';
    await vi.waitFor(() => expect(pushed.length).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 100 });
    expect(pushed[0]).toMatch(new RegExp(`^time is ${time}  plant/line-1/temperature: 21\\.5$`));
    await vi.waitFor(() => expect(posts.length).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 100 });
    expect(posts[0]).toEqual({
      path: '/readings',
      body: expect.stringMatching(new RegExp(`^temperature=21\\.5&time=${time}$`)),
    });
    // Only the property that names a pushMethod is pushed; the edge still gets every reading.
    expect(posts.every((p) => p.body.startsWith('temperature='))).toBe(true);
    const twin = await edge.node.bus.request('twin.view', { deviceId: 'default/thermo-push' });
    expect(twin?.properties.temperature?.reported?.value).toBe('21.5');

    // A changed value is what the next push carries.
    sim.memory(1).writeRegisters('HoldingRegister', 0, [230]);
    await vi.waitFor(() => expect(pushed.at(-1)).toMatch(/: 23$/), { timeout: 20_000, interval: 100 });
  }, 90_000);
});
