import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCounterDevices } from '../e2e/harness/counter-devices.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from '../e2e/harness/processes.js';
import { CloudSubscriber } from '../e2e/harness/subscriber.js';
import { SyntheticMapper } from '../e2e/harness/synthetic-mapper.js';
import { TcpProxy } from '../e2e/harness/tcp-proxy.js';
import { reportFigures } from './harness/report.js';

const DEVICES = 20;
const PROPS = ['a', 'b'];
const TICK_MS = 10; // 20 devices x 2 properties x 100 ticks/s = 4,000 readings/s
const KILLS = Number(process.env.KEDGE_FAULTS_CLOUD_KILLS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the cloud killed -9 while it drains a backlog', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`publishes no reading twice across ${KILLS} kills mid-drain, and loses none the edge acknowledged`, async () => {
    const dir = tempDir('kedge-faults-cloudkill-');
    cleanups.push(() => dir.remove());
    const cloudDir = join(dir.path, 'cloud');
    let cloud = await startCloud(cloudDir);
    const ports = cloud.ports;
    cleanups.push(() => cloud.proc.stop());
    const proxy = await TcpProxy.start(ports.hub);
    cleanups.push(() => proxy.stop());
    const sub = await CloudSubscriber.connect(ports.mqtt, ['kedge/telemetry/#', 'kedge/probe/#']);
    cleanups.push(() => sub.close());
    const s = await edgeSetup('kill-node', join(dir.path, 'edge'), `ws://127.0.0.1:${proxy.port}`, 'none');
    const edge: KedgeProcess = await startEdge(s);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'counters.yaml');
    const devices = writeCounterDevices(file, s.node, DEVICES);
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    const mapper = new SyntheticMapper(devices, PROPS, s);
    cleanups.push(() => mapper.stop());
    mapper.start(TICK_MS);
    await waitFor(() => sub.telemetry.length > 0, 'telemetry before the first outage', 60_000, [edge, cloud.proc]);

    /** The consumer is subscribed to the (restarted) cloud broker: a probe it publishes comes back. */
    const consumerReady = async () => {
      const probe = await connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
      try {
        const tag = `p-${Date.now()}-${Math.random()}`;
        await waitFor(
          async () => {
            await probe.publishAsync('kedge/probe/x', tag, { qos: 1 });
            await sleep(100);
            return sub.latest.get('kedge/probe/x') === tag;
          },
          'the consumer subscribed again',
          30_000,
        );
      } finally {
        await probe.endAsync(true);
      }
    };

    const atKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      proxy.cut();
      await sleep(k === 0 ? 4000 : 1000); // a backlog (16,000 readings before the first kill; the restarts add more)
      const before = sub.telemetry.length;
      proxy.restore();
      // The drain has begun at the consumer: kill the cloud in its midst.
      await waitFor(() => sub.telemetry.length > before + 5, 'the drain under way', 30_000, [edge, cloud.proc]);
      await sleep(Math.floor(Math.random() * 40));
      cloud.proc.child.kill('SIGKILL');
      await cloud.proc.stop();
      atKill.push(sub.telemetry.length - before);
      proxy.cut(); // the edge waits until the consumer is back on the new cloud broker
      cloud = await startCloud(cloudDir, {}, ports);
      await consumerReady();
    }
    proxy.restore();
    await sleep(2000);
    await mapper.stop();
    const expected = mapper.ackedReadings;
    const delivered = () => sub.telemetry.reduce((n, m) => n + m.readings.length, 0);
    await waitFor(() => delivered() >= expected, `${expected} readings at the consumer`, 120_000, [
      edge,
      cloud.proc,
    ]).catch(
      () => undefined, // counted below
    );
    await sleep(1500); // a duplicate would arrive now

    let duplicates = 0;
    let lost = 0;
    let outOfOrder = 0;
    for (const device of devices) {
      for (const prop of PROPS) {
        const seqs = sub.readings(device, prop).map((r) => r.value as number);
        duplicates += seqs.length - new Set(seqs).size;
        outOfOrder += seqs.filter((v, i) => i > 0 && v <= seqs[i - 1]!).length;
        const got = new Set(seqs);
        const missing = [...mapper.acked.get(device)!].filter((v) => !got.has(v));
        if (missing.length > 0)
          console.log(`${device} ${prop}: acknowledged but never delivered: ${missing.join(',')}`);
        lost += missing.length;
      }
    }
    reportFigures(`cloud kill -9 during the drain (${KILLS} kills, 4,000 readings/s offered)`, {
      kills: KILLS,
      messagesDrainedBeforeEachKill: atKill.join('/'),
      ackedReadings: expected,
      deliveredReadings: delivered(),
      duplicateReadings: duplicates,
      lostAckedReadings: lost,
      outOfOrder,
    });
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(outOfOrder).toBe(0);
  }, 300_000);
});
