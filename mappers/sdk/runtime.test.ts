import { mapperDefaults } from '../../src/core/config/index.js';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { PacketType } from './mqtt-lite/packets.js';
import { PacketReader } from './mqtt-lite/reader.js';
import { driverRegistry } from './driver-registry.js';
import { MapperRuntime, mapperBuffer } from './runtime.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A broker that accepts the connection and the subscription but never acknowledges a publish. */
async function unacknowledgingBroker(): Promise<{ port: number; published: string[] }> {
  const published: string[] = [];
  const server = createServer((socket) => {
    const reader = new PacketReader(1 << 20);
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) =>
      reader.push(chunk, (p) => {
        if (p.type === PacketType.Connect) socket.write(Buffer.from([PacketType.Connack << 4, 2, 0, 0]));
        if (p.type === PacketType.Subscribe)
          socket.write(Buffer.from([PacketType.Suback << 4, 3, p.body[0]!, p.body[1]!, 1]));
        if (p.type === PacketType.Publish) published.push(p.body.toString('utf8', 2, 2 + p.body.readUInt16BE(0)));
      }),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, published };
}

describe('MapperRuntime', () => {
  it('stops even when the broker never acknowledges the offline status', { timeout: 10_000 }, async () => {
    const broker = await unacknowledgingBroker();
    const runtime = new MapperRuntime({
      buffer: mapperBuffer(mapperDefaults()),
      name: 'm1',
      node: 'n1',
      protocols: [],
      mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
      dataDir: mkdtempSync(join(tmpdir(), 'kedge-runtime-')),
      logger: silentLogger(),
      clock: systemClock,
      metrics: new Registry(),
      drivers: driverRegistry({}),
    });
    await runtime.start();
    await runtime.stop(); // before the bound, this waited for a PUBACK forever (the test timed out)
    expect(broker.published.filter((t) => t === '$ke/mapper-status/m1').length).toBeGreaterThanOrEqual(2); // online, then offline
  });
});
