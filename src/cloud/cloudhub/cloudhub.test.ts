import { cloudDefaults } from '../../core/config/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AckContent, CloudChannels, CloudRequests, UpstreamMessage } from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { SqliteLinkState, SqliteObjectStore } from '../store/index.js';
import { CloudHub, CLOSE } from './index.js';
import { RawEdge, RawEdges, waitUntil } from '../testing/raw-edge.js';

describe('CloudHub', () => {
  let store: SqliteObjectStore;
  let linkState: SqliteLinkState;
  let bus: Bus<CloudChannels, CloudRequests>;
  let hub: CloudHub;
  let clock: ManualClock;
  let handled: UpstreamMessage[];
  let events: string[];
  let failNext: boolean;
  let gate: Promise<void> | undefined;
  /** Telemetry handlers claim their message before this gate, like the DeviceController before delivery. */
  let claimThenGate: Promise<void> | undefined;
  const edges = new RawEdges();

  let registry = createMetricsRegistry();
  const makeHub = () =>
    new CloudHub({
      bus,
      linkState,
      logger: silentLogger(),
      registry: (registry = createMetricsRegistry()),
      clock,
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 64 * 1024,
      keepaliveTimeoutMs: cloudDefaults().keepaliveTimeoutMs,
      idleTimeoutMs: cloudDefaults().idleTimeoutMs,
    });

  beforeEach(async () => {
    store = new SqliteObjectStore({ file: ':memory:' });
    linkState = new SqliteLinkState(store.database);
    bus = new Bus({ logger: silentLogger() });
    clock = new ManualClock(1_000);
    handled = [];
    events = [];
    failNext = false;
    gate = undefined;
    claimThenGate = undefined;
    const handler = async (req: UpstreamMessage): Promise<AckContent> => {
      if (gate) await gate;
      if (claimThenGate) {
        await req.claim?.();
        await claimThenGate;
      }
      if (failNext) {
        failNext = false;
        throw new Error('broker unavailable');
      }
      handled.push(req);
      return { ok: true };
    };
    const ep = { name: 'test', group: 'test' };
    bus.serve('upstream.devicestate', ep, handler);
    bus.serve('upstream.devicetwin', ep, handler);
    bus.subscribe('link.connected', ep, (e) => void events.push(`connected ${e.node}`));
    bus.subscribe('link.disconnected', ep, (e) => void events.push(`disconnected ${e.node}`));
    bus.subscribe('link.heartbeat', ep, (e) => void events.push(`heartbeat ${e.node}`));
    hub = makeHub();
    await hub.start();
  });

  afterEach(async () => {
    edges.closeAll();
    await hub.stop();
    await store.close();
  });

  const connect = (node: string) => edges.connect(hub, node);

  it('acknowledges a message after it was handled, with parent_msg_id', async () => {
    const edge = await connect('edge-1');
    const msg = edge.upload('edge-1', 'default/devicestate/thermo-1', { readings: [] });
    await waitUntil(() => edge.acksFor(msg.header.msg_id).length === 1, 'ack');
    expect(handled).toHaveLength(1);
    expect(handled[0]!.node).toBe('edge-1');
    const ack = edge.acksFor(msg.header.msg_id)[0]!;
    expect(ack.content).toEqual({ ok: true });
    expect(ack.route.resource).toBe(msg.route.resource);
    expect(events).toContain('connected edge-1');
  });

  it('handles a re-sent id once and acknowledges it again, also after a cloud restart', async () => {
    let edge = await connect('edge-1');
    const msg = edge.upload('edge-1', 'default/devicetwin/thermo-1', { properties: {} }, 'fixed-id-1');
    await waitUntil(() => edge.acksFor('fixed-id-1').length === 1, 'first ack');
    edge.upload('edge-1', 'default/devicetwin/thermo-1', { properties: {} }, 'fixed-id-1');
    await waitUntil(() => edge.acksFor('fixed-id-1').length === 2, 'second ack');
    expect(handled.map((h) => h.message.header.msg_id)).toEqual([msg.header.msg_id]);
    edge.close();
    await hub.stop();
    hub = makeHub();
    await hub.start();
    edge = await connect('edge-1');
    edge.upload('edge-1', 'default/devicetwin/thermo-1', { properties: {} }, 'fixed-id-1');
    await waitUntil(() => edge.acksFor('fixed-id-1').length === 1, 'ack after restart');
    expect(handled).toHaveLength(1);
  });

  it('a copy arriving while the original is being handled is not handled again but gets its own ack', async () => {
    const edge = await connect('edge-1');
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    edge.upload('edge-1', 'default/devicestate/t', { readings: [] }, 'slow-1');
    edge.upload('edge-1', 'default/devicestate/t', { readings: [] }, 'slow-1');
    await new Promise((r) => setTimeout(r, 30));
    expect(edge.acksFor('slow-1')).toHaveLength(0);
    open();
    await waitUntil(() => edge.acksFor('slow-1').length === 2, 'two acks');
    expect(handled.map((h) => h.message.header.msg_id)).toEqual(['slow-1']);
  });

  describe('a message its handler claims before its effects', () => {
    it('is not handled again after a cloud that died after the claim restarts', async () => {
      let edge = await connect('edge-1');
      claimThenGate = new Promise<void>(() => undefined); // the publish never completes: the cloud "dies"
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-1');
      await waitUntil(
        async () => (await linkState.handledIds('edge-1')).includes('claimed-1'),
        'the claim in the file',
      );
      expect(edge.acksFor('claimed-1')).toHaveLength(0); // not acknowledged before the publish completes
      edge.close();
      await hub.stop();
      claimThenGate = undefined;
      hub = makeHub();
      await hub.start();
      edge = await connect('edge-1');
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-1');
      await waitUntil(() => edge.acksFor('claimed-1').length === 1, 'the resend acknowledged');
      expect(handled).toHaveLength(0); // never handled a second time
    });

    it('is unclaimed when its handler fails afterwards, so that the resend is handled', async () => {
      let edge = await connect('edge-1');
      let open!: () => void;
      claimThenGate = new Promise<void>((r) => (open = r));
      failNext = true;
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-2');
      await waitUntil(async () => (await linkState.handledIds('edge-1')).includes('claimed-2'), 'the claim');
      open();
      expect(await edge.waitClosed()).toBe(CLOSE.internal);
      expect(await linkState.handledIds('edge-1')).not.toContain('claimed-2');
      claimThenGate = undefined;
      edge = await connect('edge-1');
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-2');
      await waitUntil(() => edge.acksFor('claimed-2').length === 1, 'the resend handled and acknowledged');
      expect(handled.map((h) => h.message.header.msg_id)).toEqual(['claimed-2']);
    });

    it('a copy arriving after the claim waits for the publish and is acknowledged after it, once recorded', async () => {
      const edge = await connect('edge-1');
      let open!: () => void;
      claimThenGate = new Promise<void>((r) => (open = r));
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-3');
      await waitUntil(async () => (await linkState.handledIds('edge-1')).includes('claimed-3'), 'the claim');
      edge.upload('edge-1', 'default/devicestate/t', { state: 'online', ts: 1 }, 'claimed-3');
      await new Promise((r) => setTimeout(r, 30));
      expect(edge.acksFor('claimed-3')).toHaveLength(0);
      open();
      await waitUntil(() => edge.acksFor('claimed-3').length === 2, 'both acknowledged');
      expect((await linkState.handledIds('edge-1')).filter((id) => id === 'claimed-3')).toHaveLength(1);
      expect(handled).toHaveLength(1);
    });
  });

  it('closes only the connection that sent a malformed frame, with 1007', async () => {
    const bad = await connect('edge-bad');
    const good = await connect('edge-good');
    bad.sendRaw('{"header": nope');
    expect(await bad.waitClosed()).toBe(CLOSE.invalid);
    expect(bad.closeReason).toContain('not JSON');
    const msg = good.upload('edge-good', 'default/devicestate/t', { readings: [] });
    await waitUntil(() => good.acksFor(msg.header.msg_id).length === 1, 'ack on the good connection');
    expect(hub.connectedNodes).toEqual(['edge-good']);
    expect(events).toContain('disconnected edge-bad');
  });

  it('closes a connection with a binary frame (1007) and one with an oversized frame (1009)', async () => {
    const bin = await connect('edge-bin');
    bin.sendRaw(Buffer.from([1, 2, 3]), true);
    expect(await bin.waitClosed()).toBe(CLOSE.invalid);
    const big = await connect('edge-big');
    big.sendRaw('x'.repeat(65 * 1024));
    expect(await big.waitClosed()).toBe(CLOSE.tooBig);
    await waitUntil(() => hub.connectedNodes.length === 0, 'both gone');
  });

  it('marks a silent node not ready after the keepalive timeout and closes its socket', async () => {
    const edge = await connect('edge-1');
    edge.send(newMessage({ source: 'edgehub', group: 'hub', operation: 'keepalive', resource: 'node/edge-1' }, 'ping'));
    await waitUntil(() => events.includes('heartbeat edge-1'), 'heartbeat');
    clock.advance(29_000);
    expect(hub.connectedNodes).toEqual(['edge-1']);
    clock.advance(2_000);
    expect(hub.connectedNodes).toEqual([]);
    expect(events).toContain('disconnected edge-1');
    expect(await edge.waitClosed()).toBe(CLOSE.keepalive);
  });

  it('closes the connection of a node on link.disconnect (its Node was deleted), with 4004 and the reason', async () => {
    const edge = await connect('edge-1');
    const other = await connect('edge-2');
    bus.publish('link.disconnect', { node: 'edge-1', reason: 'Node edge-1 was deleted' });
    bus.publish('link.disconnect', { node: 'edge-9', reason: 'not connected: nothing to close' });
    expect(await edge.waitClosed()).toBe(CLOSE.disconnected);
    expect(edge.closeReason).toBe('Node edge-1 was deleted');
    expect(hub.connectedNodes).toEqual(['edge-2']);
    expect(events).toContain('disconnected edge-1');
    const msg = other.upload('edge-2', 'default/telemetry/t', { readings: [] });
    await waitUntil(() => other.acksFor(msg.header.msg_id).length === 1, 'the other node still served');
  });

  it('answers ok:false for a resource the cloud does not handle, and the edge may drop it', async () => {
    const edge = await connect('edge-1');
    const msg = edge.upload('edge-1', 'default/pod/nginx', {});
    await waitUntil(() => edge.acksFor(msg.header.msg_id).length === 1, 'refusal');
    expect(edge.acksFor(msg.header.msg_id)[0]!.content).toMatchObject({
      ok: false,
      reason: expect.stringContaining('pod'),
    });
    const other = edge.upload('other-node', 'default/devicestate/t', {});
    await waitUntil(() => edge.acksFor(other.header.msg_id).length === 1, 'refusal for another node');
    expect(edge.acksFor(other.header.msg_id)[0]!.content).toMatchObject({
      ok: false,
      reason: 'resource names node other-node but the connection is node edge-1',
    });
    expect(handled).toHaveLength(0);
    const text = await registry.metrics();
    expect(text).toMatch(/kedge_cloudhub_rejected_frames_total\{reason="other_node"\} 1/);
    expect(text).toMatch(/kedge_cloudhub_rejected_frames_total\{reason="unknown_resource"\} 1/);
  });

  it('does not acknowledge on a transient failure, closes with 1011, and handles the resend', async () => {
    let edge = await connect('edge-1');
    failNext = true;
    edge.upload('edge-1', 'default/devicestate/t', { readings: [] }, 'm1');
    expect(await edge.waitClosed()).toBe(CLOSE.internal);
    expect(edge.acksFor('m1')).toHaveLength(0);
    edge = await connect('edge-1');
    edge.upload('edge-1', 'default/devicestate/t', { readings: [] }, 'm1');
    await waitUntil(() => edge.acksFor('m1').length === 1, 'ack of the resend');
    expect(handled.map((h) => h.message.header.msg_id)).toEqual(['m1']);
  });

  it('refuses the object-wise telemetry formats no edge sends any more (telemetry, telemetrybatch)', async () => {
    const edge = await connect('edge-1');
    const readings = [{ property: 'temp', value: 1, quality: 'good', ts: 1 }];
    const one = edge.upload('edge-1', 'default/telemetry/t', { readings });
    const batch = edge.upload('edge-1', 'default/telemetrybatch/edge-1', {
      devices: [{ device: 'default/t', readings }],
    });
    await waitUntil(
      () => edge.acksFor(one.header.msg_id).length + edge.acksFor(batch.header.msg_id).length === 2,
      'refusals',
    );
    for (const [msg, type] of [
      [one, 'telemetry'],
      [batch, 'telemetrybatch'],
    ] as const)
      expect(edge.acksFor(msg.header.msg_id)[0]!.content).toEqual({
        ok: false,
        reason: `resource type "${type}" is not handled by the cloud`,
      });
    expect(handled).toHaveLength(0);
  });

  it('keeps per-device order: messages of one device are handled in arrival order', async () => {
    const edge = await connect('edge-1');
    const ids = Array.from({ length: 50 }, (_, i) => `o${i}`);
    for (const id of ids)
      edge.upload('edge-1', `default/${Number(id.slice(1)) % 2 ? 'devicestate' : 'devicetwin'}/d1`, {}, id);
    await waitUntil(() => handled.length === 50, 'all handled');
    expect(handled.map((h) => h.message.header.msg_id)).toEqual(ids);
  });

  it('a second connection of the same node replaces the first', async () => {
    const first = await connect('edge-1');
    const second = await edges.connect(hub, 'edge-1', false);
    expect(await first.waitClosed()).toBe(CLOSE.replaced);
    const msg = second.upload('edge-1', 'default/devicestate/t', {});
    await waitUntil(() => second.acksFor(msg.header.msg_id).length === 1, 'ack on the new connection');
    expect(hub.connectedNodes).toEqual(['edge-1']);
  });

  it('refuses a path that is not /<project>/<node>/events, and a project other than kedge', async () => {
    await expect(RawEdge.connect(hub.port, 'Bad_Node')).rejects.toThrow(/404/);
    // `/etc/passwd/events` used to connect as node passwd.
    await expect(RawEdge.connect(hub.port, 'passwd', 'etc')).rejects.toThrow(/404/);
    expect(hub.connectedNodes).toEqual([]);
  });

  describe('downstream', () => {
    const item = (key: string, token: string, remove = false) => ({
      node: 'edge-1',
      key,
      token,
      remove,
      message: newMessage(
        {
          source: 'devicecontroller',
          group: 'resource',
          operation: remove ? 'delete' : 'update',
          resource: `node/edge-1/default/${key}`,
        },
        { token },
        { resourceVersion: token },
      ),
    });

    it("never sends a node another node's object: dropped and counted", async () => {
      const edge = await connect('edge-1');
      const stray = item('device/default/x', '1');
      stray.message.route.resource = 'node/edge-2/default/device/x';
      bus.publish('link.send', stray);
      bus.publish('link.send', item('device/default/a', '2'));
      await waitUntil(() => edge.received.length === 1, 'the own object');
      expect(edge.received[0]!.route.resource).toBe('node/edge-1/default/device/default/a');
      expect(hub.pendingObjectCount('edge-1')).toBe(1);
      expect(await registry.metrics()).toMatch(
        /kedge_cloudhub_rejected_frames_total\{reason="downstream_other_node"\} 1/,
      );
    });

    it('sends only the newest version of an object pending while the node was away, and records the ack', async () => {
      bus.publish('link.send', item('device/default/a', '1'));
      bus.publish('link.send', item('device/default/a', '2'));
      bus.publish('link.send', item('device/default/b', '3'));
      bus.publish('link.send', item('device/default/a', '4'));
      const edge = await connect('edge-1');
      await waitUntil(() => edge.received.length === 2, 'two objects');
      expect(edge.received.map((m) => (m.content as { token: string }).token).sort()).toEqual(['3', '4']);
      for (const m of edge.received)
        edge.send(
          newMessage(
            { source: 'metamanager', group: 'meta', operation: 'response', resource: m.route.resource! },
            { ok: true },
            { parentId: m.header.msg_id },
          ),
        );
      await waitUntil(async () => (await linkState.ackedObjects('edge-1')).size === 2, 'ObjectSync');
      expect(Object.fromEntries(await linkState.ackedObjects('edge-1'))).toEqual({
        'device/default/a': '4',
        'device/default/b': '3',
      });
    });

    it('resends what was not acknowledged after a reconnect, newest version only', async () => {
      let edge = await connect('edge-1');
      bus.publish('link.send', item('device/default/a', '5'));
      await waitUntil(() => edge.received.length === 1, 'first send');
      edge.close();
      await waitUntil(() => hub.connectedNodes.length === 0, 'disconnect');
      bus.publish('link.send', item('device/default/a', '6'));
      bus.publish('link.send', item('device/default/gone', '7', true));
      edge = await connect('edge-1');
      await waitUntil(() => edge.received.length === 2, 'resend');
      expect(edge.received.map((m) => `${m.route.operation} ${(m.content as { token: string }).token}`)).toEqual([
        'update 6',
        'delete 7',
      ]);
      linkState.setAcked('edge-1', 'device/default/gone', '1');
      for (const m of edge.received)
        edge.send(
          newMessage(
            { source: 'metamanager', group: 'meta', operation: 'response', resource: m.route.resource! },
            { ok: true },
            { parentId: m.header.msg_id },
          ),
        );
      await waitUntil(async () => (await linkState.ackedObjects('edge-1')).get('device/default/a') === '6', 'ack of 6');
      await waitUntil(
        async () => !(await linkState.ackedObjects('edge-1')).has('device/default/gone'),
        'delete recorded',
      );
      edge.close();
      await waitUntil(() => hub.connectedNodes.length === 0, 'disconnect');
      edge = await connect('edge-1');
      await new Promise((r) => setTimeout(r, 50));
      expect(edge.received).toHaveLength(0);
    });

    it('an ack of an older version does not settle a newer pending one', async () => {
      const edge = await connect('edge-1');
      bus.publish('link.send', item('device/default/a', '1'));
      bus.publish('link.send', item('device/default/a', '2'));
      await waitUntil(() => edge.received.length === 2, 'both sent');
      const first = edge.received[0]!;
      edge.send(
        newMessage(
          { source: 'metamanager', group: 'meta', operation: 'response', resource: first.route.resource! },
          { ok: true },
          { parentId: first.header.msg_id },
        ),
      );
      await new Promise((r) => setTimeout(r, 30));
      expect((await linkState.ackedObjects('edge-1')).size).toBe(0);
      edge.close();
      await waitUntil(() => hub.connectedNodes.length === 0, 'disconnect');
      const again = await connect('edge-1');
      await waitUntil(() => again.received.length === 1, 'resend of 2');
      expect((again.received[0]!.content as { token: string }).token).toBe('2');
    });
  });
});

describe('CloudHub with a token file', () => {
  it('refuses a node without the token or with another one (401, counted), accepts the right one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-hub-token-'));
    const store = new SqliteObjectStore({ file: ':memory:' });
    const registry = createMetricsRegistry();
    const token = 'f00dfeedf00dfeedf00dfeed';
    await writeFile(join(dir, 'token'), `${token}\n`);
    const hub = new CloudHub({
      bus: new Bus({ logger: silentLogger() }),
      linkState: new SqliteLinkState(store.database),
      logger: silentLogger(),
      registry,
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: cloudDefaults().maxFrameBytes,
      keepaliveTimeoutMs: cloudDefaults().keepaliveTimeoutMs,
      idleTimeoutMs: cloudDefaults().idleTimeoutMs,
      tokenFile: join(dir, 'token'),
    });
    await hub.start();
    try {
      await expect(RawEdge.connect(hub.port, 'edge-1')).rejects.toThrow(/Unexpected server response: 401/);
      await expect(
        RawEdge.connect(hub.port, 'edge-1', 'kedge', { authorization: 'Bearer not-the-token-at-all' }),
      ).rejects.toThrow(/401/);
      expect(hub.connectedNodes).toEqual([]);
      const edge = await RawEdge.connect(hub.port, 'edge-1', 'kedge', { authorization: `Bearer ${token}` });
      await waitUntil(() => hub.connectedNodes.includes('edge-1'), 'edge-1 connected');
      edge.close();
      expect(await registry.getSingleMetricAsString('kedge_cloudhub_unauthorized_total')).toMatch(
        /kedge_cloudhub_unauthorized_total 2/,
      );
    } finally {
      await hub.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not start with a token file it cannot use', async () => {
    const store = new SqliteObjectStore({ file: ':memory:' });
    const hub = new CloudHub({
      bus: new Bus({ logger: silentLogger() }),
      linkState: new SqliteLinkState(store.database),
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: cloudDefaults().maxFrameBytes,
      keepaliveTimeoutMs: cloudDefaults().keepaliveTimeoutMs,
      idleTimeoutMs: cloudDefaults().idleTimeoutMs,
      tokenFile: '/nonexistent/kedge-token',
    });
    await expect(hub.start()).rejects.toMatchObject({ code: 'KEDGE_TOKEN_FILE' });
    await hub.stop();
    await store.close();
  });
});
