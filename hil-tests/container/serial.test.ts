/**
 * A serial mapper in a container gets its device: the Vaisala HMP240 simulator on one end of a
 * socat pty pair, the device's serialPort the other end, the mapper run by Edged as a container
 * (podman + runc). The readings reach the twin only if the port is really usable inside.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSerialSim, type SerialSim } from '../../mappers/serial/sim/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { validateFiles } from '../../src/model/index.js';
import { startEdge, type RunningEdge } from '../edge/fixtures.js';
import { createPtyPair, type PtyPair } from '../serial/pty.js';
import { buildKedgeImage, containersOf, inspect, removeContainersOf, startPodmanService } from './podman.js';

const NODE = 'hil-serial-ctr';
const MODEL = join(packageRoot(), 'device-models', 'vaisala-hmp240.yaml');

describe('serial mapper container on podman + runc', () => {
  let service: Awaited<ReturnType<typeof startPodmanService>>;
  let image: string;
  let pair: PtyPair;
  let sim: SerialSim;
  let edge: RunningEdge;

  beforeAll(async () => {
    [image, service] = await Promise.all([buildKedgeImage(), startPodmanService()]);
    await removeContainersOf(NODE);
    pair = await createPtyPair();
    sim = await startSerialSim({ path: pair.a, modelFiles: [MODEL], intervalMs: 100, seed: 7 });
  }, 300_000);

  afterAll(async () => {
    await edge?.close();
    await sim?.stop();
    await pair?.cleanup();
    await removeContainersOf(NODE).catch(() => undefined);
    await service?.stop();
  });

  it('reads the device through the port passed into the container', async () => {
    edge = await startEdge({
      node: NODE,
      mappers: 'process',
      runtime: 'container',
      containerSocket: service.socket,
      mapperImage: image,
    });
    const { models, devices } = await validateFiles([MODEL]);
    const device = devices[0]!;
    device.spec.nodeName = NODE;
    const protocol = device.spec.protocol!;
    protocol.configData = { ...protocol.configData, serialPort: pair.b };
    for (const p of device.spec.properties ?? []) p.collectCycle = 300;
    await edge.node.bus.request('meta.apply', { documents: [...models, device] });
    const id = `default/${device.metadata.name}`;
    const end = Date.now() + 90_000;
    let value: string | undefined;
    while (Date.now() < end) {
      const twin = await edge.node.bus.request('twin.view', { deviceId: id });
      value = twin?.properties.temperature?.reported?.value;
      if (value !== undefined && twin?.properties.temperature?.reported?.quality === 'good') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(Number(value)).toBeGreaterThan(-40);
    const [container] = await containersOf(NODE, { 'io.kedge.kind': 'mapper' }, false);
    const mounts = (await inspect(container!)).Mounts as Array<{ Destination: string; Source: string }>;
    expect(mounts).toContainEqual(
      expect.objectContaining({ Destination: pair.b, Source: expect.stringMatching(/^\/dev\/pts\//) }),
    );
  });
});
