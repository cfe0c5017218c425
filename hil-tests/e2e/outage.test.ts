import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCounterDevices } from './harness/counter-devices.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { SyntheticMapper } from './harness/synthetic-mapper.js';
import { CloudSubscriber } from './harness/subscriber.js';
import { TcpProxy } from './harness/tcp-proxy.js';

/** Issue 7 asks for 60 s; KEDGE_E2E_OUTAGE_S shortens it for a quick local run. */
const OUTAGE_S = Number(process.env.KEDGE_E2E_OUTAGE_S ?? 60);
const DEVICES = 10;
const PROPS = ['a', 'b'];
const TICK_MS = 20; // 10 devices x 2 properties x 50 ticks/s = 1,000 readings/s

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`link outage of ${OUTAGE_S} s under 1,000 readings/s`, () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function scenario(killEdgeDuringOutage: boolean) {
    const dir = tempDir('kedge-e2e-outage-');
    cleanups.push(() => dir.remove());
    const cloud = await startCloud(join(dir.path, 'cloud'));
    cleanups.push(() => cloud.proc.stop());
    const proxy = await TcpProxy.start(cloud.ports.hub);
    cleanups.push(() => proxy.stop());
    const sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
    cleanups.push(() => sub.close());
    const setup = await edgeSetup('outage-node', join(dir.path, 'edge'), `ws://127.0.0.1:${proxy.port}`, 'none');
    let edge: KedgeProcess = await startEdge(setup);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'counters.yaml');
    const devices = writeCounterDevices(file, setup.node, DEVICES);
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${setup.apiPort}/api/v1/devices`).catch(() => undefined);
        return ((await res?.json()) as { items?: unknown[] } | undefined)?.items?.length === DEVICES;
      },
      'the devices on the edge',
      30_000,
      [edge],
    );

    const mapper = new SyntheticMapper(devices, PROPS, setup);
    mapper.start(TICK_MS);
    cleanups.push(() => mapper.stop());
    await waitFor(() => sub.telemetry.length > 0, 'telemetry at the cloud before the outage', 30_000, [
      edge,
      cloud.proc,
    ]);
    await sleep(3000);

    proxy.cut();
    const atCut = mapper.sentReadings;
    if (killEdgeDuringOutage) {
      await sleep((OUTAGE_S * 1000) / 2);
      edge.child.kill('SIGKILL');
      await edge.stop();
      edge = await startEdge(setup);
      await sleep((OUTAGE_S * 1000) / 2);
    } else {
      await sleep(OUTAGE_S * 1000);
    }
    const duringOutage = mapper.sentReadings - atCut;
    proxy.restore();
    await sleep(3000);
    await mapper.stop();

    // Every reading the edge acknowledged reaches the consumer: wait for the last of them.
    const expected = mapper.ackedReadings;
    await waitFor(
      () => sub.telemetry.reduce((n, m) => n + m.readings.length, 0) >= expected,
      `${expected} readings at the consumer`,
      120_000,
      [edge, cloud.proc],
    );
    await sleep(1000); // a duplicate would arrive now

    // The load really ran through the outage and built a backlog the edge had to keep: nominally
    // 1,000 readings/s; a machine busy with other work produces less (649/s seen at load 15 on 2
    // cores), so the bound is on the backlog's size, not the rate.
    expect(duringOutage).toBeGreaterThan(OUTAGE_S * 200);
    for (const device of devices) {
      for (const prop of PROPS) {
        const seqs = sub.readings(device, prop).map((r) => r.value as number);
        const where = `${device} ${prop}`;
        expect(new Set(seqs).size, `${where}: no duplicates`).toBe(seqs.length);
        expect(
          seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
          `${where}: in order`,
        ).toBe(true);
        const got = new Set(seqs);
        const missing = [...mapper.acked.get(device)!].filter((s) => !got.has(s));
        expect(missing, `${where}: acknowledged readings missing at the consumer`).toEqual([]);
        const unknown = seqs.filter((s) => !mapper.sent.get(device)!.has(s));
        expect(unknown, `${where}: readings never produced`).toEqual([]);
      }
    }
    return {
      expected,
      received: sub.telemetry.reduce((n, m) => n + m.readings.length, 0),
      sent: mapper.sentReadings,
      proxyConnections: proxy.connections,
    };
  }

  it(
    'delivers every reading exactly once, in order per device, after the link comes back',
    async () => {
      const r = await scenario(false);
      expect(r.received).toBe(r.expected); // nothing was lost in flight at the MQTT hop either
      expect(r.proxyConnections).toBeGreaterThanOrEqual(2);
    },
    (OUTAGE_S + 240) * 1000,
  );

  it(
    'the same with the edge killed -9 during the outage and restarted',
    async () => {
      const r = await scenario(true);
      expect(r.received).toBeGreaterThanOrEqual(r.expected);
      expect(r.received).toBeLessThanOrEqual(r.sent);
    },
    (OUTAGE_S + 240) * 1000,
  );
});
