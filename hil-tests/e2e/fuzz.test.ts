/**
 * A bounded run of hostile input against the cloud (CloudHub on its default secure link, the join
 * port, the HTTP API) and an edge node's MQTT broker, with real processes (issue 18): garbage bytes,
 * hostile and oversized frames, oversized bodies and packets, slow-loris connections and 2,000 idle
 * sockets. Afterwards both processes still run, the legitimate node is still connected and every
 * server still answers. The counts go to the test output and to fuzz-report.json in the run's folder.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';

const GARBAGE_CONNECTIONS = 100;
const HOSTILE_FRAMES = 60;
const SLOW_LORIS = 200;
const IDLE_SOCKETS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a TCP connection, writes `data`, and resolves when the server closes it or after `holdMs`. */
function poke(port: number, data: Buffer, holdMs: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let done = false;
    const finish = (how: 'closed' | 'open') => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(how);
    };
    s.on('error', () => finish('closed'));
    s.on('close', () => finish('closed'));
    s.on('connect', () => s.write(data));
    s.on('data', () => undefined);
    setTimeout(() => finish('open'), holdMs);
  });
}

/** An MQTT 3.1.1 PUBLISH (QoS 0) with the remaining length as a variable-length integer. */
function mqttPublish(topic: string, payload: Buffer): Buffer {
  const t = Buffer.from(topic);
  let left = 2 + t.length + payload.length;
  const len: number[] = [];
  do {
    let byte = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) byte |= 0x80;
    len.push(byte);
  } while (left > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.from([t.length >> 8, t.length & 0xff]), t, payload]);
}

function openSockets(port: number, n: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = tcpConnect(port, '127.0.0.1', () => {
            s.removeListener('error', reject);
            s.on('error', () => s.destroy());
            resolve(s);
          });
          s.on('error', reject);
          s.on('data', () => undefined);
          s.on('end', () => s.destroy());
        }),
    ),
  );
}

describe('a bounded fuzz run against CloudHub, the join port, the API and the edge broker', () => {
  const dir = tempDir('kedge-e2e-fuzz-');
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let edge: KedgeProcess;
  let mqttPort = 0;
  let hubUrl = '';
  let creds: { cert: string; key: string; ca: string };
  const report: Record<string, Record<string, number>> = {};
  const count = (target: string, outcome: string) => {
    report[target] ??= {};
    report[target][outcome] = (report[target][outcome] ?? 0) + 1;
  };
  const nodeReady = async (node: string) => {
    const res = await fetch(`${cloud.api}/api/v1/nodes`);
    return ((await res.json()) as { items: Array<{ name: string; ready: boolean }> }).items.some(
      (n) => n.name === node && n.ready,
    );
  };
  const cloudFds = () => readdirSync(`/proc/${cloud.proc.child.pid}/fd`).length;
  const healthy = async () =>
    (await fetch(`${cloud.api}/healthz`)).status === 200 &&
    (await nodeReady('line-ok')) &&
    cloud.proc.running &&
    edge.running;

  beforeAll(async () => {
    cloud = await startCloud(join(dir.path, 'cloud'), {}, { secure: true });
    hubUrl = `wss://127.0.0.1:${cloud.ports.hub}`;
    for (const node of ['line-ok', 'fuzzer']) {
      const token = (await runKedge(['token', 'create', '--server', cloud.api])).stdout.trim();
      const r = await runKedge([
        'edge',
        'join',
        '--cloud',
        hubUrl,
        '--join-port',
        `${cloud.ports.join}`,
        '--token',
        token,
        '--node',
        node,
        '--data-dir',
        join(dir.path, node),
      ]);
      expect(r.stderr).toBe('');
    }
    const pki = join(dir.path, 'fuzzer', 'pki');
    creds = {
      cert: readFileSync(join(pki, 'node.crt'), 'utf8'),
      key: readFileSync(join(pki, 'node.key'), 'utf8'),
      ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    };
    const setup = await edgeSetup('line-ok', join(dir.path, 'line-ok'), hubUrl, 'none');
    mqttPort = setup.mqttPort;
    edge = await startEdge(setup);
    await waitFor(() => nodeReady('line-ok'), 'line-ok ready', 30_000, [edge, cloud.proc]);
  }, 120_000);

  afterAll(async () => {
    writeFileSync(join(dir.path, 'fuzz-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`fuzz report (${join(dir.path, 'fuzz-report.json')}):\n${JSON.stringify(report, null, 2)}`);
    await edge?.stop();
    await cloud?.proc.stop();
    dir.remove();
  });

  it('garbage bytes to every port: each connection ends, nothing crashes', async () => {
    const ports: Record<string, number> = {
      cloudhub: cloud.ports.hub,
      join: cloud.ports.join!,
      api: cloud.ports.api,
      'edge-broker': mqttPort,
    };
    for (const [name, port] of Object.entries(ports)) {
      const outcomes = await Promise.all(
        Array.from({ length: GARBAGE_CONNECTIONS }, (_, i) => poke(port, randomBytes(1 + ((i * 97) % 4096)), 5000)),
      );
      for (const o of outcomes) count(`${name} garbage`, o);
    }
    expect(await healthy()).toBe(true);
  }, 120_000);

  it('hostile and oversized frames on an authenticated link: each closes only its connection (1007/1009)', async () => {
    const hostile = (i: number): { data: string | Buffer; binary: boolean } => {
      switch (i % 6) {
        case 0:
          return { data: randomBytes(64), binary: true };
        case 1:
          return { data: randomBytes(200).toString('latin1'), binary: false };
        case 2:
          return { data: '{"header":{"msg_id":', binary: false };
        case 3:
          return { data: JSON.stringify({ header: 1, route: [], content: null }), binary: false };
        case 4:
          return { data: 'x'.repeat(4 * 1024 * 1024 + 1), binary: false };
        default:
          return { data: JSON.stringify({ a: 'b'.repeat(1000) }), binary: false };
      }
    };
    for (let i = 0; i < HOSTILE_FRAMES; i++) {
      const code = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${hubUrl}/kedge/fuzzer/events`, { ...creds, handshakeTimeout: 10_000 });
        ws.on('open', () => {
          const f = hostile(i);
          ws.send(f.data, { binary: f.binary });
        });
        ws.on('close', (c) => resolve(c));
        ws.on('error', () => undefined);
      });
      count('cloudhub frames', `close ${code}`);
    }
    expect(report['cloudhub frames']!['close 1007']).toBeGreaterThan(0);
    expect(report['cloudhub frames']!['close 1009']).toBeGreaterThan(0);
    expect(await healthy()).toBe(true);
  }, 180_000);

  it('the API refuses oversized and malformed bodies; the edge broker survives hostile MQTT', async () => {
    const big = await fetch(`${cloud.api}/api/v1/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(9 * 1024 * 1024),
    }).catch(() => undefined);
    count('api', `oversized ${big?.status ?? 'reset'}`);
    for (const body of ['{', 'null', '[]', '{"documents":"x"}', '{"documents":[{"kind":"Device"}]}']) {
      const r = await fetch(`${cloud.api}/api/v1/apply`, { method: 'POST', body });
      count('api', `malformed ${r.status}`);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    // MQTT: a CONNECT, then a PUBLISH announcing 256 MiB; a PUBLISH of junk on an ingress topic.
    const connectPkt = Buffer.from([
      0x10, 0x10, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 4, 0x66, 0x75, 0x7a, 0x7a,
    ]);
    count(
      'edge-broker',
      `oversized ${await poke(mqttPort, Buffer.concat([connectPkt, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]), 5000)}`,
    );
    const publish = mqttPublish('$ke/events/device/default/nope/data/update', randomBytes(300));
    for (let i = 0; i < 20; i++)
      count('edge-broker', `junk publish ${await poke(mqttPort, Buffer.concat([connectPkt, publish]), 1000)}`);
    expect(await healthy()).toBe(true);
  }, 120_000);

  it(`${SLOW_LORIS} slow-loris connections and ${IDLE_SOCKETS} idle sockets do not stop the servers answering`, async () => {
    const loris: Socket[] = [];
    for (const port of [cloud.ports.api, cloud.ports.hub]) {
      for (let i = 0; i < SLOW_LORIS / 2; i++) {
        const s = tcpConnect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
        loris.push(s);
      }
    }
    const drip = setInterval(() => {
      for (const s of loris) if (!s.destroyed) s.write('X-a: b\r\n');
    }, 500);
    const fdsBefore = cloudFds();
    const idle = await openSockets(cloud.ports.hub, IDLE_SOCKETS);
    count('idle', `opened ${idle.length}`);
    await sleep(3000);
    const fdsPeak = cloudFds();
    // While they hang on: the API answers, the node stays connected, a node can still connect.
    expect(await healthy()).toBe(true);
    const fresh = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`${hubUrl}/kedge/fuzzer/events`, { ...creds, handshakeTimeout: 20_000 });
      ws.on('open', () => {
        ws.close();
        resolve(true);
      });
      ws.on('error', () => resolve(false));
    });
    expect(fresh).toBe(true);
    clearInterval(drip);
    count('slow-loris', `ended during the run ${loris.filter((s) => s.destroyed).length}`);
    // CloudHub gives a TLS handshake 10 s: the cloud gets the idle sockets' descriptors back.
    // (Counted in the cloud process: a client socket the kernel never handed to it may look open here.)
    await waitFor(() => cloudFds() < fdsBefore + 100, 'the cloud closing the idle sockets', 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}: it holds ${cloudFds()} descriptors, ${fdsBefore} before`);
      },
    );
    count('idle', `cloud descriptors at the peak ${fdsPeak}, before ${fdsBefore}, after ${cloudFds()}`);
    for (const s of [...loris, ...idle]) s.destroy();
    await sleep(1000);
    expect(await healthy()).toBe(true);
    const metrics = await (await fetch(`${cloud.api}/metrics`)).text();
    for (const line of metrics.split('\n'))
      if (/^kedge_cloudhub_(rejected_frames|refused_connections)_total/.test(line)) {
        const [name, value] = line.split(' ');
        count('cloud metrics', `${name}`);
        report['cloud metrics']![name!] = Number(value);
      }
  }, 180_000);
});
