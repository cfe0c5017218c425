import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loopbackCloudConfig } from './testing/cloud-under-test.js';
import { silentLogger } from '../core/log/index.js';
import { newMessage, type Message } from '../core/message/index.js';
import { createMetricsRegistry } from '../core/metrics/index.js';
import { createCloudNode, type CloudNode } from './node.js';
import { thermostat, thermostatModel } from './testing/fixtures.js';
import { RawEdge, waitUntil } from './testing/raw-edge.js';

async function waitForMetric(cloud: CloudNode, re: RegExp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (re.test(await (await fetch(`http://127.0.0.1:${cloud.ports.api}/metrics`)).text())) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`metric ${re} not reached`);
}

/** The composition root across a restart on the same data directory (ObjectSync, dedupe, Node state). */
describe('cloud node restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kedge-cloud-node-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loopbackCloudConfig(dataDir);
  const start = async () => {
    const cloud = createCloudNode(config, { logger: silentLogger(), registry: createMetricsRegistry() });
    await cloud.start();
    return cloud;
  };
  const apply = (cloud: CloudNode, documents: unknown[]) =>
    fetch(`http://127.0.0.1:${cloud.ports.api}/api/v1/apply`, { method: 'POST', body: JSON.stringify({ documents }) });
  const ackAll = (edge: RawEdge, messages: Message[]) => {
    for (const m of messages)
      edge.send(
        newMessage(
          { source: 'metamanager', group: 'meta', operation: 'response', resource: m.route.resource! },
          { ok: true },
          { parentId: m.header.msg_id },
        ),
      );
  };
  const downstream = (edge: RawEdge) => edge.received.filter((m) => m.route.operation !== 'response');

  it('after a restart resends only what changed, still deduplicates, and starts with the node not ready', async () => {
    let cloud = await start();
    expect((await apply(cloud, [thermostatModel(), thermostat('a', 'edge-1'), thermostat('b', 'edge-1')])).status).toBe(
      200,
    );
    let edge = await RawEdge.connect(cloud.ports.hub, 'edge-1');
    await waitUntil(() => downstream(edge).length === 4, 'model, two devices and the mapper set');
    ackAll(edge, downstream(edge));
    const report = edge.upload('edge-1', 'default/devicestate/a', { state: 'online', ts: 1 }, 'state-1');
    await waitUntil(() => edge.acksFor(report.header.msg_id).length === 1, 'ack');
    await waitForMetric(cloud, /kedge_cloudhub_downstream_pending 0\b/); // the edge's acks have landed
    edge.close();
    await cloud.stop();

    cloud = await start();
    try {
      const nodes = (await (await fetch(`http://127.0.0.1:${cloud.ports.api}/api/v1/nodes`)).json()) as {
        items: Array<{ name: string; ready: boolean }>;
      };
      expect(nodes.items).toEqual([expect.objectContaining({ name: 'edge-1', ready: false })]);
      const changed = thermostat('b', 'edge-1');
      (changed.spec as { protocol: { configData: { port: number } } }).protocol.configData.port = 6000;
      expect((await apply(cloud, [changed])).status).toBe(200);
      edge = await RawEdge.connect(cloud.ports.hub, 'edge-1');
      await waitUntil(() => downstream(edge).length >= 1, 'the changed device');
      await new Promise((r) => setTimeout(r, 100));
      expect(downstream(edge).map((m) => `${m.route.operation} ${m.route.resource}`)).toEqual([
        'update node/edge-1/default/device/b',
      ]);
      edge.upload('edge-1', 'default/devicestate/a', { state: 'online', ts: 1 }, 'state-1');
      await waitUntil(() => edge.acksFor('state-1').length === 1, 'ack of the duplicate');
      const metrics = await (await fetch(`http://127.0.0.1:${cloud.ports.api}/metrics`)).text();
      expect(metrics).toMatch(/kedge_cloudhub_duplicates_total 1/);
    } finally {
      edge.close();
      await cloud.stop();
    }
  });
});
