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

/** The fresh-store handshake (docs/link.md): a node that lost its store gets everything again. */
describe('a node that connects with another store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kedge-cloud-fresh-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loopbackCloudConfig(dataDir);
  const start = async () => {
    const cloud = createCloudNode(config, { logger: silentLogger(), registry: createMetricsRegistry() });
    await cloud.start();
    return cloud;
  };
  const downstream = (edge: RawEdge) => edge.received.filter((m) => m.route.operation !== 'response');
  const ackAll = (edge: RawEdge) => {
    for (const m of downstream(edge))
      edge.send(
        newMessage(
          { source: 'metamanager', group: 'meta', operation: 'response', resource: m.route.resource! },
          { ok: true },
          { parentId: m.header.msg_id },
        ),
      );
  };
  const withDesired = (name: string) => {
    const d = thermostat(name, 'edge-1');
    (d.spec as { properties: Array<Record<string, unknown>> }).properties[1]!.desired = { value: '21' };
    return d;
  };
  const sent = (edge: RawEdge) => downstream(edge).map((m) => `${m.route.operation} ${m.route.resource}`);
  const everything = [
    'insert node/edge-1/default/devicemodel/thermostat',
    'insert node/edge-1/default/device/a',
    'insert node/edge-1/default/device/b',
    'update node/edge-1/default/devicetwin/a',
    'update node/edge-1/default/devicetwin/b',
    'update node/edge-1/default/mapperset/edge-1',
  ];

  it('gets its whole device set, models, desired values and mapper set again, also after a cloud restart', async () => {
    let cloud = await start();
    await fetch(`http://127.0.0.1:${cloud.ports.api}/api/v1/apply`, {
      method: 'POST',
      body: JSON.stringify({ documents: [thermostatModel(), withDesired('a'), withDesired('b')] }),
    });
    const store = (id: string) => ({ 'x-kedge-store-id': id });
    let edge = await RawEdge.connect(cloud.ports.hub, 'edge-1', 'kedge', store('aaaaaaaa-1'));
    await waitUntil(() => downstream(edge).length === everything.length, 'everything for the first store');
    expect(sent(edge).sort()).toEqual([...everything].sort());
    ackAll(edge);
    await waitForMetric(cloud, /kedge_cloudhub_downstream_pending 0\b/);
    edge.close();

    // The same store again: nothing to send.
    edge = await RawEdge.connect(cloud.ports.hub, 'edge-1', 'kedge', store('aaaaaaaa-1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(sent(edge)).toEqual([]);
    edge.close();

    // A wiped data dir (new store id): everything again, models before their devices.
    edge = await RawEdge.connect(cloud.ports.hub, 'edge-1', 'kedge', store('bbbbbbbb-2'));
    await waitUntil(() => downstream(edge).length === everything.length, 'everything for the new store');
    expect(sent(edge).sort()).toEqual([...everything].sort());
    expect(sent(edge)[0]).toBe('insert node/edge-1/default/devicemodel/thermostat');
    await waitForMetric(cloud, /kedge_cloudhub_fresh_stores_total 2\b/);
    ackAll(edge);
    await waitForMetric(cloud, /kedge_cloudhub_downstream_pending 0\b/);
    edge.close();
    await cloud.stop();

    // After a cloud restart the store it synced is remembered; another one gets everything.
    cloud = await start();
    try {
      edge = await RawEdge.connect(cloud.ports.hub, 'edge-1', 'kedge', store('bbbbbbbb-2'));
      await new Promise((r) => setTimeout(r, 300));
      expect(sent(edge)).toEqual([]);
      edge.close();
      edge = await RawEdge.connect(cloud.ports.hub, 'edge-1', 'kedge', store('cccccccc-3'));
      await waitUntil(() => downstream(edge).length === everything.length, 'everything after the restart');
      expect(sent(edge).sort()).toEqual([...everything].sort());
    } finally {
      edge.close();
      await cloud.stop();
    }
  });
});
