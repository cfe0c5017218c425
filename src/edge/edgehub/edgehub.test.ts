import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeviceColumnsBuilder,
  type EdgeChannels,
  type EdgeRequests,
  type LinkStateEvent,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { newMessage, type Message } from '../../core/message/index.js';
import type { Registry } from '../../core/metrics/index.js';
import type { SqliteOutboxStore } from '../store/index.js';
import { createServer } from 'node:net';
import { hubUrl, hubUrls, type EdgeHub, type EdgeHubDeps } from './index.js';
import { HubHarness, type FakeCloud, waitFor } from './testing/test-cloud.js';

describe('EdgeHub', () => {
  let h: HubHarness;
  let cloud: FakeCloud;
  let outbox: SqliteOutboxStore;
  let bus: Bus<EdgeChannels, EdgeRequests>;
  let registry: Registry;
  let hub: EdgeHub | undefined;
  let states: LinkStateEvent[];
  let inbound: Message[];

  beforeEach(async () => {
    h = await HubHarness.start();
    ({ cloud, outbox, bus, registry } = h);
    states = [];
    inbound = [];
    const ep = { name: 'test', group: 'test' };
    bus.subscribe('link.state', ep, (e) => void states.push(e));
    bus.subscribe('cloud.inbound', ep, (m) => void inbound.push(m));
  });

  afterEach(async () => {
    await h.close();
    hub = undefined;
  });

  const start = async (over: Partial<EdgeHubDeps> = {}) => (hub = await h.startHub(over));

  const reading = (device: string, n: number) => {
    const columns = new DeviceColumnsBuilder(`default/${device}`);
    columns.add('p', n, 'good', n);
    return newMessage(
      { source: 'twin', group: 'hub', operation: 'upload', resource: `node/edge-1/default/telemetrycolumns/${device}` },
      { devices: [columns.columns] },
    );
  };

  const append = (...msgs: Message[]) => {
    outbox.append(msgs.map((message) => ({ kind: 'reading' as const, key: 'default/d1', message })));
    bus.publish('outbox.appended', { count: msgs.length });
  };

  const metric = async (name: string) =>
    (await registry.getSingleMetricAsString(name))
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');

  it('connects to /<project>/<node>/events and sends the outbox in order, deleting only acknowledged entries', async () => {
    cloud.autoAck = false;
    await start();
    const msgs = [1, 2, 3, 4, 5].map((n) => reading('d1', n));
    append(...msgs);
    await waitFor(() => cloud.uploads().length === 5, 'five uploads');
    expect(cloud.paths).toEqual(['/kedge/edge-1/events']);
    expect(cloud.authorizations).toEqual(['']);
    expect(cloud.uploads().map((m) => m.header.msg_id)).toEqual(msgs.map((m) => m.header.msg_id));
    expect(outbox.stats().count).toBe(5);
    cloud.ack(msgs[1]!);
    cloud.ack(msgs[0]!);
    await waitFor(() => outbox.stats().count === 3, 'two entries deleted');
    expect(outbox.peek(10, 1e9).map((e) => e.message.header.msg_id)).toEqual(msgs.slice(2).map((m) => m.header.msg_id));
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    // Bytes as they went out: the stored JSON of each message.
    const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)), 0);
    expect(await metric('kedge_edgehub_sent_bytes_total')).toBe(`kedge_edgehub_sent_bytes_total ${bytes}`);
  });

  it('presents the token of its token file (Authorization: Bearer), and none without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-edge-token-'));
    try {
      await writeFile(join(dir, 'token'), 'f00dfeedf00dfeedf00dfeed\n');
      await start({ tokenFile: join(dir, 'token') });
      await waitFor(() => cloud.authorizations.length === 1, 'a connection');
      expect(cloud.authorizations).toEqual(['Bearer f00dfeedf00dfeedf00dfeed']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not start with a token file it cannot use', async () => {
    await expect(start({ tokenFile: '/nonexistent/kedge-token' })).rejects.toMatchObject({ code: 'KEDGE_TOKEN_FILE' });
  });

  it('keeps at most `window` messages unacknowledged', async () => {
    cloud.autoAck = false;
    await start({ sender: { window: 3 } });
    const msgs = Array.from({ length: 10 }, (_, i) => reading('d1', i));
    append(...msgs);
    await waitFor(() => cloud.uploads().length === 3, 'three uploads');
    await new Promise((r) => setTimeout(r, 50));
    expect(cloud.uploads()).toHaveLength(3);
    cloud.ack(msgs[0]!);
    await waitFor(() => cloud.uploads().length === 4, 'a fourth upload after one ack');
    expect(cloud.uploads()[3]!.header.msg_id).toBe(msgs[3]!.header.msg_id);
  });

  it('after the connection drops, reconnects and re-sends what was not acknowledged with the same msg_id', async () => {
    cloud.autoAck = false;
    await start();
    const msgs = [1, 2, 3].map((n) => reading('d1', n));
    append(...msgs);
    await waitFor(() => cloud.uploads().length === 3, 'three uploads');
    cloud.ack(msgs[0]!);
    await waitFor(() => outbox.stats().count === 2, 'first acknowledged');
    cloud.dropConnections();
    await waitFor(
      () => cloud.paths.length === 2 && cloud.uploads().length === 5,
      'two re-sends on the second connection',
    );
    expect(
      cloud
        .uploads()
        .slice(3)
        .map((m) => m.header.msg_id),
    ).toEqual([msgs[1]!.header.msg_id, msgs[2]!.header.msg_id]);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
    expect(states[2]!.retryInMs).toBeGreaterThanOrEqual(10);
  });

  it('keeps trying while the cloud is down, and sends the backlog when it is back', async () => {
    const port = cloud.port;
    await cloud.stop();
    await start({ cloudUrl: `ws://127.0.0.1:${port}` });
    append(reading('d1', 1), reading('d1', 2));
    await waitFor(() => states.filter((s) => s.state === 'disconnected').length >= 3, 'several failed attempts');
    expect(outbox.stats().count).toBe(2);
    // Said in words, not as the close code of a socket that never opened (1006).
    expect(states.find((s) => s.state === 'disconnected')!.reason).toBe(
      `connection refused at 127.0.0.1:${port}: no kedge cloud listens there`,
    );
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    const got: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (d) => got.push(String(d))));
    try {
      await waitFor(() => got.filter((g) => g.includes('"upload"')).length === 2, 'backlog sent', 5000);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  it('sends keepalives while connected', async () => {
    await start({ keepaliveMs: 30 });
    await waitFor(() => cloud.received.filter((m) => m.route.operation === 'keepalive').length >= 2, 'two keepalives');
    const ka = cloud.received.find((m) => m.route.operation === 'keepalive')!;
    expect(ka.route.resource).toBe('node/edge-1');
  });

  it("puts cloud messages on the bus and answers MetaManager's verdict with a response", async () => {
    await start();
    await waitFor(() => hub!.connected, 'connected');
    const down = newMessage(
      { source: 'cloudhub', group: 'resource', operation: 'update', resource: 'node/edge-1/default/device/d1' },
      { kind: 'Device' },
    );
    cloud.send(down);
    await waitFor(() => inbound.length === 1, 'inbound on the bus');
    expect(inbound[0]).toEqual(down);
    bus.publish('cloud.ack', { parentMsgId: down.header.msg_id, ok: false, reason: 'model missing' });
    await waitFor(() => cloud.received.some((m) => m.route.operation === 'response'), 'the response');
    const res = cloud.received.find((m) => m.route.operation === 'response')!;
    expect(res.header.parent_msg_id).toBe(down.header.msg_id);
    expect(res.route.resource).toBe(down.route.resource);
    expect(res.content).toEqual({ ok: false, reason: 'model missing' });
  });

  it.each([
    ['not JSON', '{{{'],
    ['not a message', JSON.stringify({ hello: 1 })],
  ])(
    'closes the connection with 1007 on a malformed frame (%s), counts it, reconnects and carries on',
    async (_n, frame) => {
      await start();
      await waitFor(() => hub!.connected, 'connected');
      cloud.send(frame);
      await waitFor(() => cloud.closes.length === 1, 'closed');
      expect(cloud.closes[0]!.code).toBe(1007);
      expect(cloud.closes[0]!.reason.length).toBeGreaterThan(0);
      expect(await metric('kedge_edgehub_rejected_frames_total')).toContain('reason="malformed"} 1');
      await waitFor(() => cloud.paths.length === 2 && hub!.connected, 'reconnected');
      append(reading('d1', 7));
      await waitFor(() => outbox.stats().count === 0, 'sent and acknowledged after the reconnect');
    },
  );

  it('closes the connection on a frame above maxPayloadBytes (1009) and reconnects', async () => {
    await start({ maxPayloadBytes: 1000 });
    await waitFor(() => hub!.connected, 'connected');
    cloud.send(
      newMessage({ operation: 'update', resource: 'node/edge-1/default/device/big' }, { pad: 'x'.repeat(5000) }),
    );
    await waitFor(() => cloud.closes.length === 1, 'closed');
    expect(cloud.closes[0]!.code).toBe(1009);
    expect(inbound).toHaveLength(0);
    expect(await metric('kedge_edgehub_rejected_frames_total')).toContain('reason="too_big"} 1');
    await waitFor(() => cloud.paths.length === 2 && hub!.connected, 'reconnected');
  });

  it('removes an entry the cloud refuses for good, and one too big for a frame, and counts both', async () => {
    cloud.autoAck = false;
    await start({ sender: { maxFrameBytes: 2000 } });
    const refused = reading('d1', 1);
    const big = newMessage(
      { operation: 'upload', resource: 'node/edge-1/default/telemetrycolumns/d1' },
      { pad: 'y'.repeat(5000) },
    );
    const after = reading('d1', 3);
    append(refused, big, after);
    await waitFor(() => cloud.uploads().length === 2, 'two sent');
    expect(cloud.uploads().map((m) => m.header.msg_id)).toEqual([refused.header.msg_id, after.header.msg_id]);
    cloud.ack(refused, { ok: false, reason: 'unknown resource' });
    cloud.ack(after);
    await waitFor(() => outbox.stats().count === 0, 'all removed');
    expect(await metric('kedge_edgehub_refused_total')).toContain(' 1');
    expect(await metric('kedge_edgehub_oversized_total')).toContain(' 1');
    expect(await metric('kedge_edgehub_acked_total')).toContain(' 1');
  });

  it('stop() closes the socket and stops reconnecting', async () => {
    await start();
    await waitFor(() => hub!.connected, 'connected');
    await hub!.stop();
    await waitFor(() => cloud.closes.length === 1, 'closed');
    expect(cloud.closes[0]!.code).toBe(1001);
    await new Promise((r) => setTimeout(r, 100));
    expect(cloud.paths).toHaveLength(1);
    expect(states.at(-1)!.state).toBe('disconnected');
  });
});

describe('EdgeHub with several cloud replicas', () => {
  it('tries the URLs in turn: a dead replica first, then the live one; after a drop the next one', async () => {
    const h = await HubHarness.start();
    // A port that refuses connections: listened on once, then closed.
    const dead = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    try {
      const states: LinkStateEvent[] = [];
      h.bus.subscribe('link.state', { name: 't', group: 't' }, (e) => void states.push(e as LinkStateEvent));
      await h.startHub({ cloudUrl: `ws://127.0.0.1:${dead}, ${h.cloud.url}` });
      await waitFor(() => states.some((s) => s.state === 'connected'), 'connected to the live replica');
      const connected = states.find((s) => s.state === 'connected')!;
      expect(connected.url).toBe(`${h.cloud.url}/kedge/edge-1/events`);
      expect(states.filter((s) => s.state === 'connecting').length).toBeGreaterThanOrEqual(2);
      expect(states[0]!.url).toBe(`ws://127.0.0.1:${dead}/kedge/edge-1/events`);
    } finally {
      await h.close();
    }
  });

  it('refuses a list with a bad member, naming it', () => {
    expect(hubUrls('ws://a:1, ws://b:2', 'kedge', 'n')).toEqual(['ws://a:1/kedge/n/events', 'ws://b:2/kedge/n/events']);
    expect(() => hubUrls('ws://a:1,http://b:2', 'kedge', 'n')).toThrow(/http:\/\/b:2/);
    expect(() => hubUrls(' , ', 'kedge', 'n')).toThrow(/names no URL/);
  });
});

describe('hubUrl', () => {
  it('puts /<project>/<node>/events on the cloud URL', () => {
    expect(hubUrl('ws://10.0.0.5:10000', 'kedge', 'edge-1')).toBe('ws://10.0.0.5:10000/kedge/edge-1/events');
    expect(hubUrl('wss://cloud.example/x?y=1', 'p', 'n')).toBe('wss://cloud.example/p/n/events');
  });

  it.each(['http://x:1', 'nope'])('refuses %s with a clear error', (url) => {
    expect(() => hubUrl(url, 'kedge', 'n')).toThrow(/--cloud/);
  });
});
